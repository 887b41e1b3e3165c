//! The bus's one error type.

/// What can go wrong on the bus.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The NATS server could not be reached or refused the connection.
    #[error("cannot connect to NATS at {url}: {message}")]
    Connect {
        /// The server's URL.
        url: String,
        /// What the client said.
        message: String,
    },
    /// A JetStream request (stream, consumer, key-value bucket) failed.
    #[error("JetStream {what}: {message}")]
    JetStream {
        /// What was asked.
        what: &'static str,
        /// What the server or client said.
        message: String,
    },
    /// A message on the bus is not a book message of a schema version this reader knows.
    #[error("bad bus message: {0}")]
    BadMessage(String),
    /// The publisher's thread could not be started or ended abnormally.
    #[error("publisher thread: {0}")]
    Thread(String),
}

impl BusError {
    pub(crate) fn jetstream(what: &'static str, error: impl std::fmt::Display) -> BusError {
        BusError::JetStream { what, message: error.to_string() }
    }
}
