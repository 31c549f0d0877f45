//! This browser's `localStorage`, for what is remembered per device (the last room opened,
//! drafts). Nothing is stored on the server side of the rendering; every call is a no-op there
//! and when storage is unavailable (private windows may refuse it).

/// The value stored under `key`.
#[must_use]
pub fn get(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        local()?.get_item(key).ok().flatten()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

/// Stores `value` under `key`; an empty value removes the key.
pub fn set(key: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = local() {
        let _ = if value.is_empty() {
            storage.remove_item(key)
        } else {
            storage.set_item(key, value)
        };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

#[cfg(feature = "hydrate")]
fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
