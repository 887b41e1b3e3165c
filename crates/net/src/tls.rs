//! TLS for WebSocket and REST: one rustls configuration with exactly one crypto provider.
//!
//! rustls panics on the first connect when no process-wide provider is installed, or when two
//! are compiled in and none chosen (tokio-tungstenite #336, #339). depthbook never relies on the
//! process default: it builds its `ClientConfig` with the `ring` provider explicitly and hands
//! the same `Arc` to tokio-tungstenite and reqwest, so connects cannot panic whatever else the
//! strategy binary links. Roots are the compiled-in Mozilla set (webpki-roots): hermetic in
//! containers without a CA bundle.

use std::sync::Arc;

use rustls::ClientConfig;

use crate::error::NetError;

/// The client TLS configuration shared by every connection and REST request.
///
/// # Errors
/// [`NetError::Tls`] if the provider rejects the default protocol versions (it does not for
/// `ring`; the error is kept rather than unwrapped).
pub fn client_config() -> Result<Arc<ClientConfig>, NetError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    #[test]
    fn builds_without_a_process_default_provider() {
        let config = super::client_config().unwrap();
        assert!(!config.alpn_protocols.iter().any(|p| p.is_empty()));
    }
}
