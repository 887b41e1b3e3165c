//! A consumer that reacts to Stale and Live: it trades (here: prints) only on Live books, stops
//! the moment a book goes Stale, and says whether a resync is in flight and which generation
//! came back. Reads the stream of updates on this thread while the ingest loop runs on its own.
//!
//! ```sh
//! cargo run -p depthbook --example stale_and_live -- okx BTC-USDT          # live
//! cargo run -p depthbook --example stale_and_live -- okx BTC-USDT capture  # a recording
//! ```

use depthbook::{Feed, Status, Update, Venue};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [venue, symbol, captures @ ..] = args.as_slice() else {
        return Err("usage: stale_and_live <venue> <symbol> [capture...]".into());
    };
    let venue = Venue::from_name(venue).ok_or("unknown venue")?;
    let feed = if captures.is_empty() {
        Feed::live(venue, [symbol.clone()])
    } else {
        Feed::replay(venue, [symbol.clone()], captures.iter().cloned())
    };
    let books = feed.start()?;
    let reader = books.top(symbol).ok_or("not tracked")?.clone();
    let mut trading = false;
    while !(books.is_finished() && books.updates().is_empty()) {
        let Ok(update) = books.updates().recv_timeout(std::time::Duration::from_millis(200)) else {
            continue;
        };
        match update {
            Update::Status(event) => match event.status {
                Status::Live => {
                    trading = true;
                    println!("Live (generation {}): trading", event.generation);
                }
                Status::Stale(reason) => {
                    trading = false;
                    let latest = reader.read();
                    println!(
                        "Stale ({reason:?}): stop; resync in flight: {}; last good top kept: {:?}",
                        latest.resync_in_flight,
                        latest.top.map(|t| (t.bid, t.ask, t.generation))
                    );
                }
            },
            Update::Book(top) if trading => {
                if let (Some((bid, _)), Some((ask, _))) = (top.bid, top.ask) {
                    println!("{bid} / {ask}");
                }
            }
            Update::Book(_) => {}
        }
    }
    let counters = books.wait()?;
    println!(
        "gaps {}, checksum failures {}, resyncs {}",
        counters.gaps, counters.checksum_failures, counters.resyncs
    );
    Ok(())
}
