//! `export --format csv`: tardis's `book_snapshot_N` CSV, then `seq,generation,state,integrity`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write as _};

use super::{Row, RowSink, column_names};

/// Writes rows as CSV lines; empty fields for levels a book does not have.
pub(crate) struct CsvRows {
    out: BufWriter<File>,
    levels: usize,
    line: String,
}

impl CsvRows {
    /// Writes the header line.
    pub(crate) fn new(file: File, levels: usize) -> anyhow::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 16, file);
        out.write_all(column_names(levels).join(",").as_bytes())?;
        out.write_all(b"\n")?;
        Ok(Self { out, levels, line: String::with_capacity(4096) })
    }
}

impl RowSink for CsvRows {
    fn write(&mut self, row: &Row<'_>) -> anyhow::Result<()> {
        let line = &mut self.line;
        line.clear();
        line.push_str(row.exchange);
        line.push(',');
        push_field(line, row.symbol);
        let _ = write!(line, ",{},{}", row.timestamp_us, row.local_timestamp_us);
        for levels in [row.asks, row.bids] {
            for i in 0..self.levels {
                match levels.get(i) {
                    Some(level) => {
                        let _ = write!(line, ",{},{}", level.price, level.qty);
                    }
                    None => line.push_str(",,"),
                }
            }
        }
        line.push(',');
        if let Some(seq) = row.seq {
            let _ = write!(line, "{seq}");
        }
        let _ =
            writeln!(line, ",{},{},{}", row.generation, row.state(), row.integrity.unwrap_or(""));
        self.out.write_all(line.as_bytes())?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<()> {
        self.out.flush()?;
        Ok(())
    }
}

/// A CSV field: quoted if it holds a comma, a quote or a line break.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}
