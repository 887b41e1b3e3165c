//! The server: one thread with its own tokio runtime, serving the WebSocket protocol and the
//! REST endpoints on one port, with the replay task behind them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;
use depthbook_venues::Venue;
use tokio::sync::{mpsc, watch};

use crate::config::ServeConfig;
use crate::error::SimError;
use crate::faults::FaultPlan;
use crate::instruments;
use crate::replay::{Command, Replay};
use crate::stats::{Counters, SimStats};
use crate::subscribe::Dialect;
use crate::{connection, rest, source};

/// Commands queued for the replay (it serves them even while it waits on a slow client).
const COMMAND_QUEUE: usize = 1_024;
/// How long shutdown lets connections send their close frames.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What every connection and REST request of one server shares.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) venue: Venue,
    pub(crate) dialect: Dialect,
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) faults: Arc<FaultPlan>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) next_conn: AtomicU64,
    pub(crate) subscriber_buffer: usize,
    pub(crate) max_subscriptions: usize,
    pub(crate) max_client_message: usize,
    pub(crate) ping_interval: Duration,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) snapshot_wait: Duration,
    /// Each symbol's price and size decimals, once the server's own pass over the capture has
    /// read them (the instruments endpoints).
    pub(crate) decimals: Arc<std::sync::OnceLock<instruments::Decimals>>,
}

/// A running loopback exchange.
///
/// It runs on its own thread with its own (single-threaded) tokio runtime, so it works the same
/// from synchronous code and from inside another runtime. Dropping it shuts it down: open
/// connections get a close frame (1001), then everything still running is cancelled. Shutdown
/// never waits more than about 1.5 s.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    counters: Arc<Counters>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port), opens the capture, and starts serving. Returns
    /// once the socket is listening. The replay starts when the first client subscribes.
    ///
    /// # Errors
    /// [`SimError::Bind`] if the address cannot be bound, [`SimError::Capture`] if a capture
    /// file cannot be opened, [`SimError::Config`] for an unusable configuration,
    /// [`SimError::Runtime`] if the thread or runtime cannot be created.
    pub fn start(addr: SocketAddr, config: ServeConfig) -> Result<Server, SimError> {
        config.validate()?;
        let dialect = Dialect::of(config.venue);
        let bind = |source| SimError::Bind { addr, source };
        let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let local = listener.local_addr().map_err(bind)?;
        let records = source::spawn(config.files.clone(), config.max_line)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(SimError::Runtime)?;
        let counters = Arc::new(Counters::default());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let thread_counters = Arc::clone(&counters);
        let thread = std::thread::Builder::new()
            .name("depthbook-sim".into())
            .spawn(move || {
                runtime.block_on(serve(
                    listener,
                    config,
                    dialect,
                    records,
                    shutdown_rx,
                    thread_counters,
                ));
                runtime.shutdown_timeout(Duration::from_millis(500));
            })
            .map_err(SimError::Runtime)?;
        tracing::info!(addr = %local, "loopback exchange listening");
        Ok(Server { addr: local, counters, shutdown, thread: Some(thread) })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counters so far.
    pub fn stats(&self) -> SimStats {
        self.counters.snapshot()
    }

    /// Shuts the server down and waits for its thread (bounded; see [`Server`]).
    pub fn shutdown(self) {
        drop(self);
    }

    /// Waits until the server thread ends, which it does only on shutdown or if serving fails.
    fn join(&mut self) {
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the server thread panicked");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.join();
    }
}

/// Runs a server on `addr` until the process ends (the CLI's `depthbook serve`; Ctrl-C ends the
/// process).
///
/// # Errors
/// As [`Server::start`].
pub fn serve_blocking(addr: SocketAddr, config: ServeConfig) -> Result<(), SimError> {
    let mut server = Server::start(addr, config)?;
    server.join();
    Ok(())
}

/// The server's async side: the replay task and the HTTP/WebSocket listener, until shutdown.
async fn serve(
    listener: std::net::TcpListener,
    config: ServeConfig,
    dialect: Dialect,
    records: mpsc::Receiver<source::SourceItem>,
    mut shutdown: watch::Receiver<bool>,
    counters: Arc<Counters>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(error = %e, "cannot register the listening socket");
            return;
        }
    };
    let decimals = instruments::observe(config.venue, config.files.clone(), config.max_line);
    let (commands, commands_rx) = mpsc::channel(COMMAND_QUEUE);
    let faults = Arc::new(FaultPlan::new(&config.faults));
    let replay = Replay::new(
        &config,
        dialect,
        Arc::clone(&faults),
        commands_rx,
        records,
        Arc::clone(&counters),
    );
    tokio::spawn(replay.run());
    let app = Arc::new(App {
        venue: config.venue,
        dialect,
        commands,
        faults,
        counters: Arc::clone(&counters),
        shutdown: shutdown.clone(),
        next_conn: AtomicU64::new(1),
        subscriber_buffer: config.subscriber_buffer,
        max_subscriptions: config.max_subscriptions,
        max_client_message: config.max_client_message,
        ping_interval: config.ping_interval,
        heartbeat_interval: config.heartbeat_interval,
        snapshot_wait: config.snapshot_wait,
        decimals,
    });
    let stopped = async move {
        while !*shutdown.borrow_and_update() {
            if shutdown.changed().await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        served = axum::serve(listener, router(app)) => {
            if let Err(e) = served {
                tracing::error!(error = %e, "serving failed");
            }
        }
        () = stopped => {}
    }
    // Connections saw the same signal: let them send their close frames.
    let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
    while counters.open_connections.load(std::sync::atomic::Ordering::Relaxed) > 0
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The REST routes of the venue (depth snapshots, instrument metadata), if it has them; every
/// other request is a WebSocket.
fn router(app: Arc<App>) -> Router {
    let router = match app.venue {
        Venue::BinanceSpot => Router::new()
            .route("/api/v3/depth", get(rest::depth))
            .route("/api/v3/exchangeInfo", get(instruments::by_query)),
        Venue::BinanceUsdm => Router::new()
            .route("/fapi/v1/depth", get(rest::depth))
            .route("/fapi/v1/exchangeInfo", get(instruments::by_query)),
        Venue::GateIo => Router::new()
            .route("/api/v4/spot/order_book", get(rest::depth))
            .route("/api/v4/futures/usdt/order_book", get(rest::depth))
            .route("/api/v4/spot/currency_pairs", get(instruments::gate_pairs))
            .route("/api/v4/spot/currency_pairs/{pair}", get(instruments::gate_pair))
            .route("/api/v4/futures/usdt/contracts", get(instruments::gate_contracts))
            .route("/api/v4/futures/usdt/contracts/{name}", get(instruments::gate_contract)),
        // The snapshot `orderbook.full` deltas bridge onto, from the stream the server derives.
        Venue::Bybit => Router::new()
            .route("/v5/market/full_orderbook", get(rest::depth))
            .route("/v5/market/instruments-info", get(instruments::by_query)),
        Venue::Okx => Router::new().route("/api/v5/public/instruments", get(instruments::by_query)),
        _ => Router::new(),
    };
    router.fallback(websocket).with_state(app)
}

/// Upgrades any other request to a WebSocket speaking the venue's dialect.
async fn websocket(State(app): State<Arc<App>>, uri: Uri, upgrade: WebSocketUpgrade) -> Response {
    let items = app.dialect.url_items(uri.path(), uri.query());
    upgrade
        .max_message_size(app.max_client_message)
        .max_frame_size(app.max_client_message)
        .on_upgrade(move |socket| connection::run(socket, app, items))
}
