//! `/chat`'s first screen, drawn by the server (see `app::first_screen`): the signed-in
//! person's rooms and the last page of the room the page will show, chosen as the page
//! chooses (the address, else the room this browser remembers, else the list's first), and
//! never a room the person cannot read.

use crate::common::{TestServer, create_room};
use protocol::events::GENERAL_ROOM;
use protocol::{BlockReq, links};

async fn chat_page(server: &TestServer, url: &str, cookies: &[String]) -> String {
    let cookie = cookies.join("; ");
    let answer = server.get(url, &[("cookie", &cookie)]).await;
    assert_eq!(answer.status, axum::http::StatusCode::OK);
    answer.html().to_owned()
}

#[tokio::test]
async fn the_chat_page_draws_the_rooms_and_the_last_page_of_the_room_to_show() {
    let server = TestServer::spawn().await;
    let (ana, _, token) = server.chat_guest_with_token("ana").await;
    let session = format!("{}={token}", server::SESSION_COOKIE);
    ana.join(GENERAL_ROOM).await;
    for n in 1..=3 {
        ana.say(GENERAL_ROOM, &format!("hello number {n}"))
            .await
            .expect("sent");
    }
    ana.say(GENERAL_ROOM, "<script>alert(1)</script> & \"quoted\"")
        .await
        .expect("sent");
    ana.ok(&create_room("cats", false)).await;
    ana.join("cats").await;
    ana.say("cats", "meow from the cats room")
        .await
        .expect("sent");

    // No room remembered: the list's first, drawn with its messages, text escaped.
    let html = chat_page(&server, links::CHAT, std::slice::from_ref(&session)).await;
    assert!(
        html.contains("tertulia-first-screen"),
        "the data hydration starts from"
    );
    assert!(html.contains("hello number 3"), "the shown room's messages");
    assert!(
        !html.contains("meow from the cats room"),
        "only the shown room's page"
    );
    assert!(html.contains("data-room=\"cats\""), "every room listed");
    assert!(html.contains("href=\"/chat?room=cats\""), "rooms are links");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.contains("<script>alert(1)"),
        "no HTML from users, in the page or its data"
    );

    // The room this browser remembers.
    let remembered = format!("{}=cats", app::first_screen::ROOM_COOKIE);
    let html = chat_page(&server, links::CHAT, &[session.clone(), remembered.clone()]).await;
    assert!(html.contains("meow from the cats room"));
    assert!(!html.contains("hello number 3"));

    // The address wins over the cookie.
    let html = chat_page(
        &server,
        &links::room(GENERAL_ROOM),
        &[session.clone(), remembered],
    )
    .await;
    assert!(html.contains("hello number 3"));
    assert!(!html.contains("meow from the cats room"));

    // A cookie that does not decode is no room: the list's first.
    let broken = format!("{}=%ZZ", app::first_screen::ROOM_COOKIE);
    let html = chat_page(&server, links::CHAT, &[session, broken]).await;
    assert!(html.contains("hello number 3"));

    // Signed out: nothing drawn.
    let html = chat_page(&server, links::CHAT, &[]).await;
    assert!(!html.contains("tertulia-first-screen"));
    assert!(!html.contains("hello number"));
}

#[tokio::test]
async fn a_room_the_person_cannot_read_is_never_drawn() {
    let server = TestServer::spawn().await;
    let (bea, _) = server.chat_guest("bea").await;
    bea.ok(&create_room("secret", true)).await;
    bea.join("secret").await;
    bea.say("secret", "classified plans").await.expect("sent");
    bea.ok(&create_room("open", false)).await;
    bea.join("open").await;
    bea.say("open", "an open room's news").await.expect("sent");

    let (ana, _, token) = server.chat_guest_with_token("ana").await;
    ana.join(GENERAL_ROOM).await;
    ana.say(GENERAL_ROOM, "ana was here").await.expect("sent");
    let session = format!("{}={token}", server::SESSION_COOKIE);
    for (url, cookie) in [
        (links::CHAT.to_owned(), "secret"),
        (links::room("secret"), "secret"),
        (links::room("SECRET"), GENERAL_ROOM),
    ] {
        let remembered = format!("{}={cookie}", app::first_screen::ROOM_COOKIE);
        let html = chat_page(&server, &url, &[session.clone(), remembered]).await;
        assert!(!html.contains("classified plans"), "{url} with {cookie}");
        assert!(
            !html.contains("data-room=\"secret\""),
            "{url} with {cookie}"
        );
        // A first screen all the same: her own list.
        assert!(
            html.contains(&format!("data-room=\"{GENERAL_ROOM}\"")),
            "{url} with {cookie}"
        );
    }
    // Only the address's wish is unheard of: with the cookie's, her list's first is drawn.
    let remembered = format!("{}=secret", app::first_screen::ROOM_COOKIE);
    let html = chat_page(&server, links::CHAT, &[session.clone(), remembered]).await;
    assert!(html.contains("ana was here"));
    // A public room Ana has not joined, asked for by the address: the page joins it once
    // connected; the server draws her list, no room on screen yet.
    let html = chat_page(&server, &links::room("open"), &[session]).await;
    assert!(!html.contains("an open room's news"));
    assert!(html.contains(&format!("data-room=\"{GENERAL_ROOM}\"")));
    assert!(
        !html.contains("ana was here"),
        "not the list's first instead"
    );
}

#[tokio::test]
async fn blocked_authors_are_drawn_folded_and_the_page_is_private() {
    let server = TestServer::spawn().await;
    let (bea, bea_user) = server.chat_guest("bea").await;
    bea.join(GENERAL_ROOM).await;
    let (ana, _, token) = server.chat_guest_with_token("ana").await;
    ana.join(GENERAL_ROOM).await;
    ana.ok(&BlockReq {
        username: bea_user.username.clone(),
    })
    .await;
    let said = bea
        .say(GENERAL_ROOM, "words from a blocked person")
        .await
        .expect("sent")
        .message;
    let session = format!("{}={token}", server::SESSION_COOKIE);
    let answer = server.get(links::CHAT, &[("cookie", &session)]).await;
    // Bea's message is drawn folded (its `<li>` opening tag carries the class).
    let opening = answer
        .html()
        .split("<li")
        .find(|element| element.contains(&format!("data-id=\"{}\"", said.id)))
        .and_then(|element| element.split('>').next())
        .expect("the message is drawn")
        .to_owned();
    assert!(opening.contains("folded"), "{opening}");
    // Someone's own page: no shared cache keeps it.
    let caching = answer.headers.get("cache-control").expect("cache-control");
    assert_eq!(caching, "private, no-cache");
    assert!(
        answer
            .headers
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap_or_default().contains("cookie"))
    );
}

#[tokio::test]
async fn a_script_fetching_the_page_or_a_spent_budget_gets_no_first_screen() {
    let server = TestServer::spawn_with(|config| config.event_budget = 20).await;
    let (ana, _, token) = server.chat_guest_with_token("ana").await;
    ana.join(GENERAL_ROOM).await;
    ana.say(GENERAL_ROOM, "hello there").await.expect("sent");
    let session = format!("{}={token}", server::SESSION_COOKIE);

    // The service worker keeping a copy of the page: not a page load, nothing drawn or spent.
    let answer = server
        .get(
            links::CHAT,
            &[("cookie", &session), ("sec-fetch-dest", "empty")],
        )
        .await;
    assert!(answer.html().contains("tertulia-session"));
    assert!(!answer.html().contains("tertulia-first-screen"));

    // A page load, while the budget lasts (its cost is that of the socket events it stands
    // for); then, the budget spent (two more messages leave far less than a page load's cost,
    // a refill of a unit every 3 s away), the page still renders, without the first screen.
    let html = chat_page(&server, links::CHAT, std::slice::from_ref(&session)).await;
    assert!(html.contains("hello there"));
    ana.say(GENERAL_ROOM, "and again").await.expect("sent");
    ana.say(GENERAL_ROOM, "and once more").await.expect("sent");
    let html = chat_page(&server, links::CHAT, &[session]).await;
    assert!(html.contains("tertulia-session"));
    assert!(!html.contains("tertulia-first-screen"));
}
