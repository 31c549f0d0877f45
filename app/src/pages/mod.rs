//! One module per route.

mod admin;
mod board;
mod chat;
mod home;

use leptos::prelude::*;

pub use admin::Admin;
pub use board::Board;
pub use chat::Chat;
pub use home::Home;

/// Any unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="center-page">
            <section class="card">
                <h1>"Page not found"</h1>
                <p>"There is nothing here. "<a href="/">"Go to the start page"</a>"."</p>
            </section>
        </main>
    }
}
