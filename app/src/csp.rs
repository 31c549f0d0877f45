//! The Content-Security-Policy of every page: our own scripts and wasm only; the one inline
//! script (Leptos' hydration bootstrap) is allowed by the per-response nonce.

/// The policy, allowing inline scripts that carry `nonce` (if given).
#[must_use]
pub fn policy(nonce: Option<&str>) -> String {
    let script = match nonce {
        Some(nonce) => format!("script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; {script}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonce_is_the_only_inline_exception() {
        let with = super::policy(Some("abc"));
        assert!(with.contains("'nonce-abc'"));
        assert!(!with.contains("unsafe-inline"));
        assert!(with.contains("frame-ancestors 'none'"));
        // `'self'` covers the page's own ws:/wss: origin; any other socket target is refused.
        assert!(with.contains("connect-src 'self';"));
        assert!(!with.contains("ws:"));
        assert!(!super::policy(None).contains("nonce"));
    }
}
