//! A real NATS server with JetStream for the bus's tests: Debian's `nats-server`, started on a
//! free loopback port with a store of its own, stopped (and restarted on the same port and
//! store, for the fault tests) by the test, killed when dropped.
//!
//! The tests that use it are `#[ignore]`d (the README's `cargo test` needs no server);
//! `.ci/run` installs `nats-server` and runs them with `--ignored`.

use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) nats-server.
#[derive(Debug)]
pub struct NatsServer {
    port: u16,
    store: PathBuf,
    /// The server's `max_payload` when not its default (1 MiB).
    max_payload: Option<usize>,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts a server with JetStream on a free loopback port.
    ///
    /// # Panics
    /// If `nats-server` is not installed or does not come up within 10 s: a test that needs
    /// the bus fails loudly, never skips.
    pub fn start() -> NatsServer {
        Self::start_with(None)
    }

    /// [`NatsServer::start`] with the largest message the server takes set to `bytes` (its
    /// `max_payload`, from a configuration file in the server's store).
    ///
    /// # Panics
    /// As [`NatsServer::start`].
    pub fn with_max_payload(bytes: usize) -> NatsServer {
        Self::start_with(Some(bytes))
    }

    fn start_with(max_payload: Option<usize>) -> NatsServer {
        let store = std::env::temp_dir().join(format!(
            "depthbook-nats-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&store);
        // Another process may take the port between its release and the server's bind: try
        // a few.
        for _ in 0..5 {
            let port = free_port();
            let mut server = NatsServer { port, store: store.clone(), max_payload, child: None };
            if server.spawn() {
                return server;
            }
        }
        panic!("nats-server did not start on a free loopback port");
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server (its store stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and store.
    ///
    /// # Panics
    /// If it does not come up.
    pub fn restart(&mut self) {
        self.stop();
        assert!(self.spawn(), "nats-server did not restart on port {}", self.port);
    }

    fn spawn(&mut self) -> bool {
        let mut command = Command::new("nats-server");
        command.args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"]);
        command.arg(&self.store);
        if let Some(bytes) = self.max_payload {
            let config = self.store.join("server.conf");
            let written = std::fs::create_dir_all(&self.store)
                .and_then(|()| std::fs::write(&config, format!("max_payload: {bytes}\n")));
            if let Err(e) = written {
                panic!("cannot write the nats-server configuration {}: {e}", config.display());
            }
            command.arg("-c").arg(config);
        }
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) => panic!(
                "cannot run nats-server ({e}): install Debian's nats-server package \
                 (apt-get install nats-server); .ci/run does"
            ),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if ready(self.port) {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// Whether a server on `port` greets with its INFO line.
fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut greeting = [0u8; 4];
    stream.read_exact(&mut greeting).is_ok() && &greeting == b"INFO"
}
