//! Whether the page is live: `false` while the server renders and while the browser hydrates
//! that render, `true` once hydrated (and for everything drawn after). What only the browser
//! knows (its time zone and locale) waits for it, so hydration meets exactly what the server
//! wrote, and fills in a moment later.

#[cfg(feature = "hydrate")]
thread_local! {
    static LIVE: leptos::prelude::ArcRwSignal<bool> = leptos::prelude::ArcRwSignal::new(false);
}

/// Whether the page is live (tracked: a view or memo reading it runs again when it becomes so).
#[must_use]
pub fn is_live() -> bool {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::Get;
        LIVE.with(Get::get)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Marks the page live; the browser's entry point calls it once hydration is done.
#[cfg(feature = "hydrate")]
pub fn mark_live() {
    use leptos::prelude::Set;
    LIVE.with(|live| live.set(true));
}
