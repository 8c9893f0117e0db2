//! A progress bar for long CLI work (`folio process` of many files, `folio
//! eval`), on stderr and only when stderr is a terminal: piped or logged
//! output stays exactly what it was.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A bar over `len` items named `what` ("files", "receipts"), or `None`
/// when stderr is not a terminal or there is a single item.
pub fn bar(len: usize, what: &str) -> Option<ProgressBar> {
    (len > 1 && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(len as u64);
        let template = format!("{{bar:30}} {{pos}}/{{len}} {what} {{elapsed}} {{msg}}");
        bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
        bar
    })
}
