//! The bus: `replay`/`live --nats` publish the engine's books, `subscribe` holds them.

use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::time::Duration;

use anyhow::Context;
use depthbook_bus::{
    BookView, Publisher, PublisherConfig, PublisherStats, Subscriber, SubscriberConfig,
    SubscriberEvent,
};
use depthbook_core::Side;
use depthbook_engine::Engine;

use crate::args::{Emit, SubscribeArgs, seconds};
use crate::json;

/// The journal ring between the ingest loop and the publisher: room for the largest books'
/// snapshots many times over.
const JOURNAL_BYTES: usize = 64 << 20;

/// A publisher fed by an engine's journal.
pub(crate) struct BusOut {
    publisher: Publisher,
}

impl BusOut {
    /// Connects to `url` and starts publishing `engine`'s books to a stream of at most
    /// `stream_max_bytes`.
    pub(crate) fn start(
        engine: &mut Engine,
        url: &str,
        stream_max_bytes: i64,
    ) -> anyhow::Result<BusOut> {
        let journal = engine.journal(JOURNAL_BYTES);
        let config = PublisherConfig {
            stream_max_bytes,
            ..PublisherConfig::new(url, engine.venue().name())
        };
        let publisher = Publisher::spawn(config, journal).context("cannot publish to NATS")?;
        Ok(BusOut { publisher })
    }

    /// Waits until the journal has room for a frame's records, so that a replay loses nothing
    /// to a publisher slower than the engine (a live run never waits: it drops and counts).
    pub(crate) fn wait_for_room(engine: &mut Engine) {
        while engine.journal_room().is_some_and(|room| room < JOURNAL_BYTES / 2) {
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    /// Ends the journal and waits until the publisher has every message acknowledged.
    pub(crate) fn finish(self, engine: &mut Engine) -> anyhow::Result<PublisherStats> {
        engine.close_journal();
        self.publisher.join().context("the publisher failed")
    }
}

/// Runs `depthbook subscribe`.
pub(crate) fn subscribe(args: &SubscribeArgs) -> anyhow::Result<()> {
    let idle = seconds("idle-exit", args.idle_exit)?;
    let duration = seconds("duration", args.duration)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the subscriber's runtime")?;
    let venue = args.venue.name();
    let mut config = SubscriberConfig::new(&args.nats, venue);
    config.symbols.clone_from(&args.symbols);
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut text = String::with_capacity(4096);
    let mut failed: Option<io::Error> = None;
    let subscriber = runtime.block_on(async {
        let mut subscriber = Subscriber::connect(config).await?;
        // Every message published from now on will be read (scripts wait for this line).
        eprintln!("depthbook: subscribed to {venue} books at {}", args.nats);
        let until = duration.map(|d| tokio::time::Instant::now() + d);
        subscriber
            .run(idle, until, |event| {
                let SubscriberEvent::Update(view) = event else { return ControlFlow::Continue(()) };
                if args.emit == Emit::None {
                    return ControlFlow::Continue(());
                }
                text.clear();
                update_line(&mut text, venue, &view, args.emit);
                match out.write_all(text.as_bytes()) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(e) => {
                        failed = Some(e);
                        ControlFlow::Break(())
                    }
                }
            })
            .await;
        Ok::<_, depthbook_bus::BusError>(subscriber)
    });
    if let Some(e) = failed {
        return Err(e).context("cannot write to stdout");
    }
    let subscriber = subscriber.context("cannot read the books from NATS")?;
    if args.final_books {
        for view in subscriber.books() {
            text.clear();
            final_line(&mut text, venue, &view);
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush()?;
    let mut line = String::from("{");
    for (i, (name, value)) in subscriber.stats().fields().into_iter().enumerate() {
        let comma = if i > 0 { "," } else { "" };
        line.push_str(&format!("{comma}\"{name}\":{value}"));
    }
    line.push('}');
    eprintln!("{line}");
    Ok(())
}

/// `{"venue":..,"symbol":..,"seq":..,"bid":..,"ask":..,"integrity":..,"crossed":..,
/// "generation":..}` (or `bids`/`asks` for `depth:N`): replay's line without `line`.
fn update_line(out: &mut String, venue: &str, view: &BookView<'_>, emit: Emit) {
    let book = view.book;
    out.push_str("{\"venue\":");
    json::push_str(out, venue);
    out.push_str(",\"symbol\":");
    json::push_str(out, view.symbol);
    out.push_str(",\"seq\":");
    json::push_opt_int(out, book.venue_seq);
    match emit {
        Emit::Depth(n) => {
            out.push_str(",\"bids\":");
            json::push_level_list(out, book.replica.levels(Side::Bid).take(n));
            out.push_str(",\"asks\":");
            json::push_level_list(out, book.replica.levels(Side::Ask).take(n));
        }
        _ => {
            out.push_str(",\"bid\":");
            json::push_level(out, book.replica.best(Side::Bid));
            out.push_str(",\"ask\":");
            json::push_level(out, book.replica.best(Side::Ask));
        }
    }
    out.push_str(&format!(
        ",\"integrity\":\"{}\",\"crossed\":{},\"generation\":{}}}\n",
        book.integrity.name(),
        book.crossed,
        book.generation
    ));
}

/// Replay's `--final` line of one book.
fn final_line(out: &mut String, venue: &str, view: &BookView<'_>) {
    out.push_str("{\"venue\":");
    json::push_str(out, venue);
    out.push_str(",\"symbol\":");
    json::push_str(out, view.symbol);
    out.push_str(if view.book.is_live() { ",\"state\":\"live\"" } else { ",\"state\":\"stale\"" });
    out.push_str(",\"bids\":");
    json::push_level_list(out, view.book.replica.levels(Side::Bid));
    out.push_str(",\"asks\":");
    json::push_level_list(out, view.book.replica.levels(Side::Ask));
    out.push_str("}\n");
}
