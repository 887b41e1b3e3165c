//! `export --format parquet`: the CSV's columns as a Parquet file (arrow-rs's writer).
//!
//! Types: `exchange`, `symbol`, `state`, `integrity` and every price and amount are strings
//! (exact decimals, as in the CSV; a level the book does not have is null); `timestamp` and
//! `local_timestamp` are UTC timestamps in microseconds; `seq` a nullable int64, `generation`
//! a uint64. Rows are gathered into batches of [`BATCH_ROWS`] and row groups of
//! [`ROW_GROUP_ROWS`], so the writer's memory is bounded whatever the capture's length.

use std::fmt::Write as _;
use std::fs::File;
use std::sync::Arc;

use arrow_array::builder::{
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::{Row, RowSink, column_names};

/// Rows gathered before they are handed to the writer as one record batch.
const BATCH_ROWS: usize = 8_192;

/// Rows a row group holds at most (the writer keeps one row group's pages in memory).
const ROW_GROUP_ROWS: usize = 65_536;

/// The time zone of the timestamp columns.
const UTC: &str = "UTC";

/// Gathers rows into column builders and writes them as Parquet.
pub(crate) struct ParquetRows {
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    exchange: StringBuilder,
    symbol: StringBuilder,
    timestamp: TimestampMicrosecondBuilder,
    local_timestamp: TimestampMicrosecondBuilder,
    /// `asks[0].price`, `asks[0].amount`, ... then the bids', in column order.
    levels: Vec<StringBuilder>,
    seq: Int64Builder,
    generation: UInt64Builder,
    state: StringBuilder,
    integrity: StringBuilder,
    pending: usize,
    text: String,
}

impl ParquetRows {
    /// Starts the file: the schema for `levels` levels a side, Snappy-compressed pages.
    pub(crate) fn new(file: File, levels: usize) -> anyhow::Result<Self> {
        let timestamp = DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into()));
        let fields: Vec<Field> = column_names(levels)
            .into_iter()
            .map(|name| match name.as_str() {
                "exchange" | "symbol" | "state" => Field::new(name, DataType::Utf8, false),
                "timestamp" | "local_timestamp" => Field::new(name, timestamp.clone(), false),
                "seq" => Field::new(name, DataType::Int64, true),
                "generation" => Field::new(name, DataType::UInt64, false),
                _ => Field::new(name, DataType::Utf8, true),
            })
            .collect();
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("depthbook {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
        let stamps = || TimestampMicrosecondBuilder::new().with_timezone(UTC);
        Ok(Self {
            writer,
            schema,
            exchange: StringBuilder::new(),
            symbol: StringBuilder::new(),
            timestamp: stamps(),
            local_timestamp: stamps(),
            levels: (0..levels * 4).map(|_| StringBuilder::new()).collect(),
            seq: Int64Builder::new(),
            generation: UInt64Builder::new(),
            state: StringBuilder::new(),
            integrity: StringBuilder::new(),
            pending: 0,
            text: String::with_capacity(64),
        })
    }

    /// Hands the gathered rows to the writer as one record batch.
    fn flush(&mut self) -> anyhow::Result<()> {
        if self.pending == 0 {
            return Ok(());
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.exchange.finish()),
            Arc::new(self.symbol.finish()),
            Arc::new(self.timestamp.finish()),
            Arc::new(self.local_timestamp.finish()),
        ];
        columns.extend(self.levels.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        columns.push(Arc::new(self.seq.finish()));
        columns.push(Arc::new(self.generation.finish()));
        columns.push(Arc::new(self.state.finish()));
        columns.push(Arc::new(self.integrity.finish()));
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        self.writer.write(&batch)?;
        self.pending = 0;
        Ok(())
    }
}

impl RowSink for ParquetRows {
    fn write(&mut self, row: &Row<'_>) -> anyhow::Result<()> {
        self.exchange.append_value(row.exchange);
        self.symbol.append_value(row.symbol);
        self.timestamp.append_value(row.timestamp_us);
        self.local_timestamp.append_value(row.local_timestamp_us);
        let depth = self.levels.len() / 4;
        let mut columns = self.levels.iter_mut();
        for levels in [row.asks, row.bids] {
            for i in 0..depth {
                let (Some(price), Some(amount)) = (columns.next(), columns.next()) else { break };
                match levels.get(i) {
                    Some(level) => {
                        self.text.clear();
                        let _ = write!(self.text, "{}", level.price);
                        price.append_value(&self.text);
                        self.text.clear();
                        let _ = write!(self.text, "{}", level.qty);
                        amount.append_value(&self.text);
                    }
                    None => {
                        price.append_null();
                        amount.append_null();
                    }
                }
            }
        }
        self.seq.append_option(row.seq);
        self.generation.append_value(row.generation);
        self.state.append_value(row.state());
        self.integrity.append_option(row.integrity);
        self.pending += 1;
        if self.pending >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<()> {
        self.flush()?;
        self.writer.close()?;
        Ok(())
    }
}
