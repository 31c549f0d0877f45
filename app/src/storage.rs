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

/// Every key starting with `prefix`, with its value.
#[must_use]
pub fn with_prefix(prefix: &str) -> Vec<(String, String)> {
    #[cfg(feature = "hydrate")]
    {
        let Some(storage) = local() else {
            return Vec::new();
        };
        let count = storage.length().unwrap_or(0);
        (0..count)
            .filter_map(|n| storage.key(n).ok().flatten())
            .filter(|key| key.starts_with(prefix))
            .filter_map(|key| {
                let value = storage.get_item(&key).ok().flatten()?;
                Some((key, value))
            })
            .collect()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = prefix;
        Vec::new()
    }
}

#[cfg(feature = "hydrate")]
fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
