//! `POST /api/highlight` (v1.18): a message's fenced code block, cut into coloured tokens.

use std::sync::Arc;

use axum::http::StatusCode;
use protocol::http::{Highlight, HighlightReq, Highlighted};
use protocol::validate;

use super::pipeline::{Answer, ApiCtx, ApiPolicy};
use crate::error::{AppError, AppResult};

impl ApiPolicy for Highlight {
    // Reading a block is milliseconds of one thread (at most a quarter of a second), and a
    // reader's page asks once per block.
    const COST: u32 = 2;
}

/// `{lang, code}` → 200 `{language?, tokens}` to anyone signed in; `bad_request` for a
/// language that is no name or code with control characters, `too_long` past a message's
/// length, `rate_limited` when the node is too busy colouring others' code.
pub async fn highlight(ctx: ApiCtx, body: HighlightReq) -> AppResult<Answer<Highlighted>> {
    ctx.user()?;
    let language = validate::code_language(&body.lang)?;
    validate::code_block(&body.code)?;
    let highlighted = ctx
        .state
        .services
        .highlighter
        .highlight(&language, body.code)
        .await
        .map_err(|busy| AppError::new(protocol::ErrorCode::RateLimited, busy.to_string()))?;
    Ok(Answer::json(
        StatusCode::OK,
        Arc::unwrap_or_clone(highlighted),
    ))
}
