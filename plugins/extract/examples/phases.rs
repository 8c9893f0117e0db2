use folio_extract::eval::{document_from_box_lines, parse_box_lines};
use std::time::Instant;
fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let mut t = [0u128; 6];
    let mut n = 0;
    let mut worst = (0u128, String::new());
    for e in std::fs::read_dir(dir.join("box")).unwrap() {
        let path = e.unwrap().path();
        let csv = std::fs::read_to_string(&path).unwrap();
        let mut fastest = u128::MAX;
        let doc = document_from_box_lines(parse_box_lines(&csv));
        for _ in 0..5 {
            n += 1;
            let a = Instant::now();
            let rows = folio_extract::layout::build_rows(&doc);
            t[0] += a.elapsed().as_micros();
            let a = Instant::now();
            let ctx = folio_extract::context::Context::new(&doc);
            t[1] += a.elapsed().as_micros();
            let a = Instant::now();
            let _ = folio_extract::party::find_issuer(&ctx);
            t[2] += a.elapsed().as_micros();
            let a = Instant::now();
            let _ = folio_extract::totals::summarize(&ctx);
            t[3] += a.elapsed().as_micros();
            let a = Instant::now();
            let _ = folio_extract::fields::pick_date(
                &ctx,
                &folio_extract::fields::document_date_labels(&ctx),
                &folio_extract::fields::other_date_labels(&ctx),
            );
            t[4] += a.elapsed().as_micros();
            let a = Instant::now();
            let _ = folio_extract::extract_receipt(&doc);
            t[5] += a.elapsed().as_micros();
            fastest = fastest.min(a.elapsed().as_micros());
            drop(rows);
        }
        if fastest > worst.0 {
            worst = (fastest, path.display().to_string());
        }
    }
    println!("slowest document (best of 5): {} µs {}", worst.0, worst.1);
    println!("per doc µs: rows {} ctx {} issuer {} summary {} date {} full {}", t[0] / n, t[1] / n, t[2] / n, t[3] / n, t[4] / n, t[5] / n);
}
