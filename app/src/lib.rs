//! Tertulia's user interface: Leptos components rendered on the server (`ssr`) and hydrated
//! in the browser (`hydrate`), where they talk to the server over our Socket.IO client.
// Leptos view types nest deeply; release builds (without erased components) need more
// than rustc's default query depth.
#![recursion_limit = "512"]

mod activity;
#[cfg(feature = "hydrate")]
mod api;
mod commands;
mod complete;
mod components;
pub mod csp;
pub mod desktop;
mod emoji;
pub mod first_screen;
mod highlight;
pub mod hydration;
pub mod live;
pub mod markup;
pub mod model;
pub mod offline;
pub mod outbox;
mod pages;
pub mod profiles;
pub mod session;
mod storage;
mod time;
pub mod uploads;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{StaticSegment, path};
use protocol::links::segments;

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_csp_header();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta name="theme-color" content="#2f6f5e"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet id="leptos" options=options.clone()/>
                // Only for a browser without script (what the page says instead of what needs it).
                <noscript><link rel="stylesheet" href="/noscript.css"/></noscript>
                <HydrationScripts options/>
                <MetaTags/>
                {session_meta()}
                {first_screen::meta()}
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// What the server knows of the session, for the browser to start from (nothing when the
/// request did not go through the page middleware).
fn session_meta() -> Option<impl IntoView> {
    #[cfg(feature = "ssr")]
    {
        let user = session::server_session()?;
        Some(view! {
            <meta name=session::SESSION_META content=session::meta_content(user.as_ref())/>
        })
    }
    #[cfg(not(feature = "ssr"))]
    None::<()>
}

/// Sets the page's CSP with this response's nonce.
#[cfg(feature = "ssr")]
fn set_csp_header() {
    use leptos::nonce::use_nonce;
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let nonce = use_nonce().map(|n| n.to_string());
        if let Ok(value) = http::HeaderValue::from_str(&csp::policy(nonce.as_deref())) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// The application: routes and the session shared by every page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    session::provide_session();
    let chat = live::provide_chat();
    // `/chat` drawn by the server: the rooms and messages it drew are where the chat starts.
    if let (Some(me), Some(first)) = (
        use_context::<session::Session>().and_then(|s| s.user.get_untracked()),
        first_screen::initial(),
    ) {
        chat.show_first_screen(me, first);
    }
    view! {
        <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
        <Title text="Tertulia"/>
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::Home/>
                <Route path=(StaticSegment(segments::CHAT),) view=pages::Chat/>
                <Route path=(StaticSegment(segments::BOARD),) view=pages::Board/>
                <Route path=(StaticSegment(segments::ADMIN),) view=pages::Admin/>
            </Routes>
        </Router>
    }
}
