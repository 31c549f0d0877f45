//! `POST /api/highlight` (v1.18): code blocks cut into coloured tokens, for signed-in callers,
//! with the contract's input rules.

use axum::http::StatusCode;
use protocol::ErrorCode;
use protocol::http::{Highlight, HighlightReq, Highlighted, TokenKind};

use crate::common::TestServer;

fn block(lang: &str, code: &str) -> HighlightReq {
    HighlightReq {
        lang: lang.to_owned(),
        code: code.to_owned(),
    }
}

#[tokio::test]
async fn a_signed_in_reader_gets_the_block_back_as_coloured_tokens() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("ana").await;
    let bearer = format!("Bearer {token}");
    let signed_in = [("authorization", bearer.as_str())];
    let code = "fn main() {\n    let greeting = \"hola, ☃\"; // 👋\n}";
    let answer = server
        .api::<Highlight>(&block("rs", code), &signed_in)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let read: Highlighted = serde_json::from_value(answer.body).unwrap();
    assert_eq!(read.language.as_deref(), Some("Rust"));
    let joined: String = read.tokens.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(joined, code, "the tokens spell the block exactly");
    let kind = |text: &str| {
        read.tokens
            .iter()
            .find(|t| t.text.trim() == text)
            .unwrap_or_else(|| panic!("no token {text:?}: {:?}", read.tokens))
            .kind
    };
    assert_eq!(kind("fn"), Some(TokenKind::Keyword));
    assert_eq!(kind("// 👋"), Some(TokenKind::Comment));
    assert!(
        read.tokens
            .iter()
            .any(|t| t.kind == Some(TokenKind::String))
    );

    // The same block again (as another reader would ask) gets the same answer.
    let again = server
        .api::<Highlight>(&block("RS", code), &signed_in)
        .await;
    assert_eq!(
        serde_json::from_value::<Highlighted>(again.body).unwrap(),
        read
    );

    // A language the server does not know: the block as one plain token.
    let unknown = server
        .api::<Highlight>(&block("klingon", "qapla'"), &signed_in)
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    let unknown: Highlighted = serde_json::from_value(unknown.body).unwrap();
    assert_eq!(unknown.language, None);
    assert_eq!(unknown.tokens.len(), 1);
    assert_eq!(unknown.tokens[0].text, "qapla'");
    assert_eq!(unknown.tokens[0].kind, None);

    // An empty block has no tokens.
    let empty = server
        .api::<Highlight>(&block("rust", ""), &signed_in)
        .await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["tokens"], serde_json::json!([]));
}

#[tokio::test]
async fn highlighting_takes_a_session_and_the_contract_s_input() {
    let server = TestServer::spawn().await;
    let anonymous = server
        .api::<Highlight>(&block("rust", "fn a() {}"), &[])
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.code(), ErrorCode::Unauthorized);

    let (_, token) = server.guest("bo").await;
    let bearer = format!("Bearer {token}");
    let signed_in = [("authorization", bearer.as_str())];
    for lang in ["", "   ", "<script>", "-rust", "rüst", &"a".repeat(33)] {
        let answer = server.api::<Highlight>(&block(lang, "x"), &signed_in).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{lang:?}");
        assert_eq!(answer.code(), ErrorCode::BadRequest, "{lang:?}");
    }
    let control = server
        .api::<Highlight>(&block("rust", "let a = '\u{7}';"), &signed_in)
        .await;
    assert_eq!(control.code(), ErrorCode::BadRequest);
    let long = server
        .api::<Highlight>(&block("rust", &"x".repeat(4001)), &signed_in)
        .await;
    assert_eq!(long.code(), ErrorCode::TooLong);
    // Missing fields are a bad request, not a crash.
    let missing = server
        .post(
            <Highlight as protocol::http::Endpoint>::PATH,
            serde_json::json!({"lang": "rust"}),
            &signed_in,
        )
        .await;
    assert_eq!(missing.code(), ErrorCode::BadRequest);
    // The largest block a message holds is read (and its tokens spell it).
    let largest = "let x = 1; // é\n".repeat(250);
    assert_eq!(largest.chars().count(), 4000);
    let answer = server
        .api::<Highlight>(&block("rust", &largest), &signed_in)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let read: Highlighted = serde_json::from_value(answer.body).unwrap();
    let joined: String = read.tokens.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(joined, largest);
}
