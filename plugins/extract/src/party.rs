//! The issuer of a document (merchant, vendor): its name and postal address
//! from the header block. No vendor lists: a name is recognised by its legal
//! form (`SDN BHD`, `GmbH`, `Ltd`), by business words, and by sitting right
//! above an address; an address by street vocabulary, house numbers and
//! postcodes, running until contact or registration details begin.

use crate::context::Context;
use crate::layout::Row;
use crate::model::{BBox, SourceRef};
use crate::text::{alnum_key, digit_count, letter_ratio, squash_spaces};

/// A name or address with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub text: String,
    pub confidence: f32,
    pub source: SourceRef,
    /// Row indices used.
    pub rows: Vec<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Party {
    pub name: Option<Found>,
    pub address: Option<Found>,
}

/// Legal forms, as sequences of folded token keys. Checked at the end of a
/// name (anything after them, like a registration number, is cut off).
const LEGAL_FORMS: &[&[&str]] = &[
    &["SDN", "BHD"],
    &["SDNBHD"],
    &["BERHAD"],
    &["BHD"],
    &["PLT"],
    &["LLP"],
    &["PTE", "LTD"],
    &["PTY", "LTD"],
    &["CO", "LTD"],
    &["LTD"],
    &["LIMITED"],
    &["INC"],
    &["INCORPORATED"],
    &["CORP"],
    &["CORPORATION"],
    &["LLC"],
    &["PLC"],
    &["GMBH"],
    &["MBH"],
    &["AG"],
    &["KG"],
    &["OHG"],
    &["EK"],
    &["SARL"],
    &["SAS"],
    &["SRL"],
    &["SPA"],
    &["BV"],
    &["NV"],
    &["OY"],
    &["AB"],
    &["KK"],
    &["PT"],
    &["TBK"],
    // European forms the vocabulary languages print (`Sp. z o.o.`, `Sp. j.`,
    // `S.L.`, `Lda.`, `S.r.l.`, `B.V.`, `S.A.`): dotted, so folded to letters.
    &["SP", "Z", "OO"],
    &["SP", "ZOO"],
    &["SPZOO"],
    &["SP", "J"],
    &["SP", "K"],
    &["SP", "P"],
    &["SKA"],
    &["SA"],
    &["SL"],
    &["SLU"],
    &["LDA"],
    &["SNC"],
    &["VOF"],
    &["CV"],
    &["SE"],
    &["SIA"],
    &["AS"],
];

/// Words that name a kind of business: weaker evidence than a legal form.
const BUSINESS_WORDS: &[&str] = &[
    "ENTERPRISE",
    "ENTERPRISES",
    "TRADING",
    "TRADERS",
    "RESTAURANT",
    "RESTORAN",
    "RESTAURANTS",
    "HARDWARE",
    "STATIONERY",
    "PHARMACY",
    "FARMASI",
    "MART",
    "MINIMART",
    "SUPERMARKET",
    "HYPERMARKET",
    "MARKET",
    "PASARAYA",
    "STORE",
    "STORES",
    "SHOP",
    "BOUTIQUE",
    "BAKERY",
    "BAKERIES",
    "CAFE",
    "COFFEE",
    "KOPITIAM",
    "KEDAI",
    "SYARIKAT",
    "PERNIAGAAN",
    "HOTEL",
    "BOOKS",
    "BOOKSTORE",
    "BOOKSTORES",
    "BOOKCENTRE",
    "GROCER",
    "GROCERY",
    "SERVICE",
    "SERVICES",
    "HOLDINGS",
    "INTERNATIONAL",
    "GROUP",
    "INDUSTRIES",
    "COMPANY",
    "FURNISHING",
    "ELECTRICAL",
    "MACHINERY",
    "MOTOR",
    "AUTO",
    "CENTRE",
    "CENTER",
    "OUTLET",
    "DISTRIBUTOR",
    "DISTRIBUTORS",
    "MARKETING",
    "SEAFOOD",
    "FOOD",
    "FOODS",
    "BISTRO",
    "BAR",
    "PUB",
    "GRILL",
    "KITCHEN",
    "CLINIC",
    "KLINIK",
    "PETROL",
    "STATION",
    "HEALTHCARE",
    "GALLERY",
    "TAILOR",
    "TAILORING",
    "HANDICRAFT",
    "RETAIL",
    "WHOLESALE",
    "SUPPLY",
    "SUPPLIES",
    "PHOTO",
    "OPTICAL",
    "FLORIST",
    "BUTCHER",
    "DELI",
    "PIZZERIA",
    "TRATTORIA",
    "BRASSERIE",
    "BOULANGERIE",
    "APOTHEKE",
    "BACKEREI",
    "METZGEREI",
    "TIENDA",
    "FARMACIA",
    "SOLUTIONS",
    "CONSULTING",
    "TECHNOLOGIES",
    "SYSTEMS",
    "STUDIO",
    "AGENCY",
];

/// Street and building vocabulary (several languages, including Malay).
const ADDRESS_WORDS: &[&str] = &[
    "JALAN",
    "JLN",
    "JL",
    "LORONG",
    "LRG",
    "TAMAN",
    "TMN",
    "BANDAR",
    "BDR",
    "KAWASAN",
    "PERINDUSTRIAN",
    "SEKSYEN",
    "SEK",
    "LOT",
    "NO",
    "LEVEL",
    "LVL",
    "FLOOR",
    "FLR",
    "GROUND",
    "TINGKAT",
    "BLOK",
    "BLK",
    "BLOCK",
    "UNIT",
    "SUITE",
    "STE",
    "ROAD",
    "RD",
    "STREET",
    "ST",
    "AVENUE",
    "AVE",
    "BOULEVARD",
    "BLVD",
    "LANE",
    "LN",
    "DRIVE",
    "DR",
    "HIGHWAY",
    "HWY",
    "PLAZA",
    "MALL",
    "MEGAMALL",
    "COMPLEX",
    "KOMPLEKS",
    "BANGUNAN",
    "BUILDING",
    "BLDG",
    "WISMA",
    "MENARA",
    "TOWER",
    "PARK",
    "INDUSTRIAL",
    "ESTATE",
    "BATU",
    "KAMPUNG",
    "KG",
    "SIMPANG",
    "PERSIARAN",
    "LEBUH",
    "LEBUHRAYA",
    "PUSAT",
    "OFF",
    "PT",
    "PTD",
    "STRASSE",
    "STR",
    "PLATZ",
    "WEG",
    "ALLEE",
    "GASSE",
    "RUE",
    "PLACE",
    "CALLE",
    "AVENIDA",
    "VIA",
    "VIALE",
    "CORSO",
    "PIAZZA",
    "STRAAT",
    "LAAN",
    "PLEIN",
    "RUA",
    "POBOX",
    "BOX",
    "POSTFACH",
    "CEDEX",
    "SQUARE",
    "SQ",
    "COURT",
    "CT",
    "WAY",
    "CRESCENT",
    "TERRACE",
    "CLOSE",
    "HOUSE",
    "GF",
    "UG",
    "LG",
];

/// Regions and countries that end an address (no street vocabulary needed).
const REGIONS: &[&str] = &[
    "MALAYSIA",
    "JOHOR",
    "KEDAH",
    "KELANTAN",
    "MELAKA",
    "MALACCA",
    "NEGERI",
    "SEMBILAN",
    "PAHANG",
    "PENANG",
    "PINANG",
    "PERAK",
    "PERLIS",
    "SABAH",
    "SARAWAK",
    "SELANGOR",
    "TERENGGANU",
    "KUALA",
    "LUMPUR",
    "KL",
    "PUTRAJAYA",
    "LABUAN",
    "DARUL",
    "EHSAN",
    "TAKZIM",
    "SINGAPORE",
    "INDONESIA",
    "THAILAND",
    "PHILIPPINES",
    "VIETNAM",
    "INDIA",
    "CHINA",
    "JAPAN",
    "KOREA",
    "AUSTRALIA",
    "ZEALAND",
    "USA",
    "CANADA",
    "MEXICO",
    "BRAZIL",
    "GERMANY",
    "DEUTSCHLAND",
    "FRANCE",
    "SPAIN",
    "ESPANA",
    "ITALY",
    "ITALIA",
    "NETHERLANDS",
    "NEDERLAND",
    "BELGIUM",
    "AUSTRIA",
    "OSTERREICH",
    "SWITZERLAND",
    "SCHWEIZ",
    "SUISSE",
    "PORTUGAL",
    "IRELAND",
    "UK",
    "ENGLAND",
    "SCOTLAND",
    "WALES",
    "KINGDOM",
    "UNITED",
    "STATES",
    "DE",
    "D.E",
];

/// Row openers that mean "contact, registration or transaction details
/// follow": the address has ended (or not begun).
const DETAIL_LABELS: &[&str] = &[
    "TEL",
    "TELEPHONE",
    "TELEFON",
    "TELP",
    "PHONE",
    "PH",
    "HP",
    "MOBILE",
    "FAX",
    "EMAIL",
    "E",
    "WEBSITE",
    "WEB",
    "WWW",
    "GST",
    "SST",
    "VAT",
    "TAX",
    "TIN",
    "ABN",
    "EIN",
    "REG",
    "ROC",
    "BR",
    "COMPANY",
    "CO",
    "COREG",
    "CONO",
    "BUSINESS",
    "DATE",
    "TIME",
    "CASHIER",
    "INVOICE",
    "INV",
    "RECEIPT",
    "BILL",
    "TABLE",
    "ORDER",
    "DOC",
    "DOCUMENT",
    "SITE",
    "STATION",
    "TERMINAL",
    "POS",
    "SLIP",
    "TRANS",
    "TRANSACTION",
    "MEMBER",
    "CUSTOMER",
    "OPEN",
    "OPENING",
    "HOURS",
    "SHOPPING",
    "UST",
    "USTIDNR",
    "STEUERNR",
    "SIRET",
    "SIREN",
    "NIF",
    "CIF",
    "IVA",
    "BTW",
    "KVK",
    "T",
    "F",
    "OWNED",
    "SALESPERSON",
    "NO.",
];

/// Labels that open the customer's name and address block.
pub const CUSTOMER_LABELS: &[&str] = &[
    "bill to",
    "billed to",
    "bill to customer",
    "sold to",
    "invoice to",
    "invoiced to",
    "ship to",
    "deliver to",
    "delivery to",
    "customer",
    "client",
    "recipient",
    "rechnungsempfanger",
    "kunde",
    "lieferadresse",
    "facturer a",
    "facture a",
    "adresse de livraison",
    "cliente",
    "facturar a",
    "destinatario",
    "klant",
];

/// Titles of the document itself.
const TITLE_WORDS: &[&str] = &[
    "TAX",
    "INVOICE",
    "SIMPLIFIED",
    "RECEIPT",
    "CASH",
    "SALE",
    "SALES",
    "BILL",
    "OFFICIAL",
    "COPY",
    "DUPLICATE",
    "ORIGINAL",
    "RECHNUNG",
    "QUITTUNG",
    "KASSENBON",
    "BELEG",
    "FACTURE",
    "TICKET",
    "RECU",
    "FACTURA",
    "RECIBO",
    "FATTURA",
    "RICEVUTA",
    "FACTUUR",
    "BON",
    "WELCOME",
    "CUSTOMER",
    "ADJUSTMENT",
    "NOTE",
    "CREDIT",
    "DEBIT",
    "STATEMENT",
    "QUOTATION",
    "ESTIMATE",
    "PROFORMA",
    "ORDER",
    "PURCHASE",
    "DELIVERY",
    "CASHBILL",
    "SUMMARY",
];

/// The row's words split at any punctuation (`18,JALAN` -> `18`, `JALAN`;
/// `1181-TMN` -> `1181`, `TMN`), folded to uppercase.
fn words(row: &Row) -> Vec<String> {
    row.text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(crate::text::fold).collect()
}

fn keys(row: &Row) -> Vec<&str> {
    row.tokens.iter().map(|t| t.key.as_str()).filter(|k| !k.is_empty()).collect()
}

/// End token index (exclusive) of a legal form in the row, if present.
/// `SDN BND` (OCR) counts as `SDN BHD`.
pub fn legal_form_end(row: &Row) -> Option<usize> {
    legal_form_span(row).map(|(_, end)| end)
}

/// Token range `[start, end)` of the last legal form in the row.
fn legal_form_span(row: &Row) -> Option<(usize, usize)> {
    let toks = &row.tokens;
    let mut best = None;
    for i in 0..toks.len() {
        for form in LEGAL_FORMS {
            let n = form.len();
            if i + n > toks.len() {
                continue;
            }
            let matches = form.iter().enumerate().all(|(k, w)| legal_word_matches(w, &toks[i + k].key, form.len() > 1));
            if !matches {
                continue;
            }
            // Short forms (AG, AB, PT, KK, ...) only as the last word of the
            // name or before a registration number, and never the first word.
            let short = form.len() == 1 && form[0].len() <= 3 && !matches!(form[0], "BHD" | "LTD" | "INC" | "PLC" | "LLC" | "LLP" | "PLT");
            if short && (i == 0 || toks.get(i + 1).is_some_and(|t| letter_ratio(&t.text) > 0.5 && !t.text.starts_with('('))) {
                continue;
            }
            if form == &["PT"] && i != 0 {
                continue;
            }
            best = Some((i, i + n));
        }
        // `S/B`, `S/B.`: Malaysian short form of Sdn Bhd (OCR: `$/B`, `5/8`).
        if is_s_slash_b(&toks[i].text) {
            best = Some((i, i + 1));
        }
    }
    // `SDN` alone at the end of the row (the `BHD` was cut off).
    if best.is_none() && toks.last().is_some_and(|t| t.key == "SDN") && toks.len() >= 2 {
        best = Some((toks.len() - 1, toks.len()));
    }
    best
}

/// A legal-form word, allowing the OCR confusions that matter for the two
/// Malaysian ones inside a two-word form: `SON`/`SIN`/`SUN` for `SDN`,
/// `BHO`/`8HD`/`BILD` for `BHD`.
fn legal_word_matches(want: &str, key: &str, in_pair: bool) -> bool {
    if key == want {
        return true;
    }
    if !in_pair {
        return false;
    }
    let b = key.as_bytes();
    match want {
        "SDN" => {
            b.len() == 3 && matches!(b[0], b'S' | b'5') && b[2] == b'N' && matches!(b[1], b'D' | b'O' | b'0' | b'U' | b'I' | b'A' | b'P')
        }
        "BHD" => {
            (3..=4).contains(&b.len())
                && matches!(b[0], b'B' | b'8')
                && matches!(b[b.len() - 1], b'D' | b'O' | b'0')
                && b[1..b.len() - 1].iter().all(|c| matches!(c, b'H' | b'I' | b'L' | b'1' | b'N' | b'M' | b'K'))
        }
        _ => false,
    }
}

fn is_s_slash_b(text: &str) -> bool {
    let t = text.trim_end_matches(['.', ',']).to_ascii_uppercase();
    let b = t.as_bytes();
    b.len() == 3 && matches!(b[0], b'S' | b'$' | b'5') && b[1] == b'/' && matches!(b[2], b'B' | b'8')
}

fn business_words(row: &Row) -> usize {
    row.tokens.iter().filter(|t| BUSINESS_WORDS.contains(&t.key.as_str())).count()
}

/// A registration or company number on its own: `(867388-U)`, `789417-W`,
/// `CO. REG : 860671-D`, `(LLP0007299-LGN)`.
pub fn is_registration_row(row: &Row) -> bool {
    let k = keys(row);
    if k.is_empty() {
        return false;
    }
    let digits = digit_count(&row.text);
    let alnum: usize = k.iter().map(|s| s.len()).sum();
    if digits >= 5 && digits * 2 >= alnum && !row.text.contains(',') && k.len() <= 4 {
        let reg_shape = |s: &str| {
            let s = s.trim_matches(|c: char| c == '(' || c == ')' || c == '{' || c == '}' || c == '[' || c == ']');
            s.contains('-')
                && digit_count(s) >= 4
                && s.rsplit('-').next().is_some_and(|tail| tail.len() <= 3 && tail.chars().all(char::is_alphabetic))
                || digit_count(s) >= 6 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        // OCR splits them too: `78041 7-W`.
        let compact: String = row.text.split_whitespace().collect();
        return row.tokens.iter().any(|t| reg_shape(&t.text)) || (row.tokens.len() <= 3 && reg_shape(&compact));
    }
    false
}

/// Contact, registration, transaction lines.
pub fn is_detail_row(row: &Row) -> bool {
    let Some(first) = row.tokens.iter().find(|t| !t.key.is_empty()) else { return false };
    let first_key = first.key.as_str();
    if DETAIL_LABELS.contains(&first_key) && (row.tokens.len() > 1 || row.text.ends_with(':')) {
        // `NO 8, JALAN ...`: `NO` opens addresses too.
        if first_key == "NO" || first_key == "T" || first_key == "F" || first_key == "E" || first_key == "CO" {
            return row.tokens.get(1).is_some_and(|t| t.text.starts_with(':'))
                || first.text.ends_with(':')
                || (first_key == "CO" && row.has_word(&["REG", "NO", "REGNO"]));
        }
        return true;
    }
    let upper = row.text.to_uppercase();
    if upper.contains('@') && upper.contains('.') || upper.contains("WWW.") || upper.contains(".COM") || upper.contains("HTTP") {
        return true;
    }
    // A bare phone number line: digits with dashes/spaces, no letters.
    let digits = digit_count(&row.text);
    if digits >= 8 && letter_ratio(&row.text) < 0.15 && !row.text.contains(',') {
        return true;
    }
    if row.find_any_label(&["reg no", "company no", "co no", "gst id", "gst no", "gst reg", "registration no", "business no"]).is_some() {
        return true;
    }
    false
}

pub fn is_title_row(row: &Row) -> bool {
    let k = keys(row);
    let title = |w: &str| TITLE_WORDS.contains(&w) || crate::vocab::Vocabulary::is_title_word(w);
    // OCR spaces out a wide-tracked title (`RĒ KI N S`): read its pieces joined too.
    let spaced = k.len() > 1 && title(&k.concat());
    spaced || (!k.is_empty() && k.iter().all(|w| title(w) || w.len() <= 1))
}

fn is_parenthetical(row: &Row) -> bool {
    let t = row.text.trim();
    (t.starts_with('(') && t.ends_with(')')) || (t.starts_with('(') && !t.contains(')')) || t.starts_with('-') && t.ends_with('-')
}

fn has_date_or_time(ctx: &Context, ri: usize) -> bool {
    ctx.dates_on(ri).next().is_some() || ctx.rows[ri].tokens.iter().any(|t| crate::date::parse_time(&t.text, None).is_some())
}

/// German/Dutch compounds: `HAUPTSTRASSE`, `BAHNHOFSTR`, `KERKSTRAAT`.
fn is_street_compound(key: &str) -> bool {
    ["STRASSE", "STR", "WEG", "PLATZ", "ALLEE", "GASSE", "DAMM", "STRAAT", "LAAN", "GRACHT"]
        .iter()
        .any(|suffix| key.len() >= suffix.len() + 3 && key.ends_with(suffix))
}

/// A postcode token: 4-5 digits alone (`81100`, `47301,`), US ZIP+4, a UK
/// or Canadian postcode shape is left to the street words.
fn postcode_tokens(row: &Row) -> usize {
    row.tokens
        .iter()
        .flat_map(|t| t.text.split(',').map(|p| p.trim_matches(|c: char| matches!(c, '.' | ';' | ')' | '('))))
        .filter(|s| {
            (s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()))
                || (s.len() == 10 && s.as_bytes()[5] == b'-' && s.bytes().enumerate().all(|(i, b)| i == 5 || b.is_ascii_digit()))
        })
        .count()
}

/// How much a row looks like part of a postal address (0 = not at all).
fn address_score(ctx: &Context, ri: usize) -> f32 {
    let row = &ctx.rows[ri];
    if is_detail_row(row)
        || is_title_row(row)
        || has_date_or_time(ctx, ri)
        || is_registration_row(row)
        || legal_form_end(row).is_some()
        || is_parenthetical(row)
    {
        return 0.0;
    }
    // Amounts with decimals mean prices, not addresses.
    if ctx.amounts[ri].iter().any(|a| a.amount.decimals == 2 && ctx.rows[ri].tokens[a.token].text.contains('.')) && !row.text.contains(',')
    {
        return 0.0;
    }
    let mut score = 0.0;
    let words = words(row);
    let street = words.iter().filter(|w| ADDRESS_WORDS.contains(&w.as_str()) || is_street_compound(w)).count();
    score += 1.2 * street.min(2) as f32;
    // `NO.53`, `L4-17`, `G23`, `19-1.`: house numbers.
    if row.tokens.iter().any(|t| {
        let k = &t.key;
        k.len() >= 3 && (k.starts_with("NO") && k[2..].starts_with(|c: char| c.is_ascii_digit()))
    }) {
        score += 1.0;
    }
    score += 1.5 * postcode_tokens(row).min(1) as f32;
    let regions = words.iter().filter(|w| REGIONS.contains(&w.as_str())).count();
    score += 0.8 * regions.min(2) as f32;
    if row.text.trim_end().ends_with(',') {
        score += 0.5;
    }
    if row.text.contains(',') {
        score += 0.3;
    }
    let digits = digit_count(&row.text);
    if digits > 0 && digits <= 8 && letter_ratio(&row.text) > 0.3 {
        score += 0.4;
    }
    score
}

/// Finds the issuer's name and address in the header of the first page.
pub fn find_issuer(ctx: &Context) -> Party {
    let rows = &ctx.rows;
    let Some(first_page) = rows.first().map(|r| r.page) else { return Party::default() };
    let header_end = header_end(ctx, first_page);
    if header_end == 0 {
        return Party::default();
    }
    let scores: Vec<f32> = (0..header_end).map(|ri| address_score(ctx, ri)).collect();

    // Address: the best run of address-like rows. A run starts on a row with
    // street words or a house number/postcode and continues through rows
    // that score, or through short continuation rows that end in a comma.
    let mut runs: Vec<(usize, usize, f32)> = Vec::new();
    let mut i = 0;
    while i < header_end {
        if scores[i] < 1.0 {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        let mut total = scores[i];
        let mut saw_postcode = postcode_tokens(&rows[i]) > 0;
        while end < header_end && end - start < 6 {
            let s = scores[end];
            let row = &rows[end];
            let gap = row.bbox.top - rows[end - 1].bbox.bottom();
            if gap > 2.5 * rows[end - 1].bbox.height.max(row.bbox.height) {
                break;
            }
            // A plain row (a district name) between address rows belongs to them.
            let bridges = !saw_postcode
                && plain_row(ctx, end)
                && (end + 1 < header_end && scores[end + 1] >= 1.0 || rows[end - 1].text.trim_end().ends_with(','));
            if s >= 0.8 {
                total += s;
            } else if continuation_row(ctx, end, saw_postcode) || bridges {
                total += 0.3;
            } else {
                break;
            }
            saw_postcode |= postcode_tokens(row) > 0;
            end += 1;
        }
        // Bonus for what makes an address complete.
        let complete = if (start..end).any(|r| postcode_tokens(&rows[r]) > 0) { 1.5 } else { 0.0 };
        let run_score = total + complete + 0.3 * (end - start) as f32;
        if run_score >= 2.0 {
            runs.push((start, end, run_score));
        }
        i = end;
    }
    // The issuer's address comes first; a later block (bill-to, delivery)
    // only wins when it is clearly more of an address.
    let top = runs.iter().map(|r| r.2).fold(0.0f32, f32::max);
    let best_run = runs.iter().copied().find(|r| r.2 >= 0.6 * top);

    let name = find_name(ctx, header_end, best_run.map(|(s, _, _)| s));
    // Name rows never belong to the address.
    let address = best_run.and_then(|(mut s, e, score)| {
        if let Some(n) = &name {
            while s < e && n.rows.contains(&s) {
                s += 1;
            }
        }
        (s < e).then(|| found_from_rows(ctx, s, e, (score / 8.0).clamp(0.35, 0.95)))
    });
    Party { name, address }
}

/// Rows considered header: before the first row with a priced amount or a
/// table header, at most the first 40% of the page's rows (and at least 8).
fn header_end(ctx: &Context, page: u32) -> usize {
    let page_rows = ctx.rows.iter().take_while(|r| r.page == page).count();
    let cap = ((page_rows as f32 * 0.45).ceil() as usize).max(8).min(page_rows).min(30);
    for ri in 0..cap {
        let row = &ctx.rows[ri];
        // The customer's block (`BILL TO`, `SOLD TO`) is not the issuer's.
        if ri >= 2 && row.find_any_label(CUSTOMER_LABELS).is_some_and(|(_, a, _)| a == 0) {
            return ri;
        }
        let priced = ctx.amounts[ri].iter().any(|a| a.amount.decimals == 2) && !row.text.contains(',') && ri >= 3;
        if priced && !is_detail_row(row) {
            return ri;
        }
    }
    cap
}

/// A short all-letter row that is neither a name, a title nor details.
fn plain_row(ctx: &Context, ri: usize) -> bool {
    let row = &ctx.rows[ri];
    let k = keys(row);
    !k.is_empty()
        && k.len() <= 5
        && letter_ratio(&row.text) >= 0.8
        && legal_form_end(row).is_none()
        && business_words(row) == 0
        && !is_detail_row(row)
        && !is_title_row(row)
        && !is_parenthetical(row)
}

/// A row that continues an address without street vocabulary: a short line
/// ending in a comma, a region/country, or the town line after a postcode.
fn continuation_row(ctx: &Context, ri: usize, after_postcode: bool) -> bool {
    let row = &ctx.rows[ri];
    if is_detail_row(row) || is_title_row(row) || is_registration_row(row) || is_parenthetical(row) || has_date_or_time(ctx, ri) {
        return false;
    }
    let k = keys(row);
    if k.is_empty() || k.len() > 6 || letter_ratio(&row.text) < 0.6 {
        return false;
    }
    let all_regions = k.iter().all(|w| REGIONS.contains(w));
    if after_postcode {
        return all_regions;
    }
    all_regions || row.text.trim_end().ends_with(',')
}

/// The name: a legal-form row in the header (above the address when there is
/// one), else the nearest plausible row above the address, else the first
/// prominent row. Wrapped names are joined.
fn find_name(ctx: &Context, header_end: usize, address_start: Option<usize>) -> Option<Found> {
    let rows = &ctx.rows;
    let limit = address_start.unwrap_or(header_end).min(header_end);
    let plausible = |ri: usize| -> bool {
        let row = &rows[ri];
        !is_detail_row(row)
            && !is_title_row(row)
            && !is_registration_row(row)
            && !has_date_or_time(ctx, ri)
            && letter_ratio(&row.text) >= 0.5
            && keys(row).iter().map(|k| k.len()).sum::<usize>() >= 3
    };

    // 1. Legal form above the address (or anywhere in the header without one).
    let mut chosen: Option<(usize, usize, f32)> = None; // row, end token, confidence
    let legal_scan_end = if address_start.is_some() { limit } else { header_end };
    for (ri, row) in rows.iter().enumerate().take(legal_scan_end) {
        if let Some(end) = legal_form_end(row)
            && (!is_detail_row(row) || row.find_any_label(&["sdn bhd"]).is_some())
        {
            // The one closest to the address wins (a trading name above
            // a legal entity line usually belongs to the same company).
            chosen = Some((ri, end, 0.9));
        }
    }
    // A legal-form row right below the address start can still be the name
    // when nothing above qualifies (rare; address detection overshot).
    if chosen.is_none()
        && let Some(a) = address_start
        && let Some(end) = rows.get(a).and_then(legal_form_end)
    {
        chosen = Some((a, end, 0.8));
    }
    // 2. The nearest plausible row above the address.
    if chosen.is_none()
        && let Some(a) = address_start
    {
        let mut ri = a;
        while ri > 0 && a - ri < 5 {
            ri -= 1;
            if plausible(ri) && !is_parenthetical(&rows[ri]) {
                let conf = if business_words(&rows[ri]) > 0 { 0.8 } else { 0.65 };
                chosen = Some((ri, rows[ri].tokens.len(), conf));
                break;
            }
        }
    }
    // 3. The first plausible row, preferring business words and tall text.
    if chosen.is_none() {
        let mut best: Option<(usize, f32)> = None;
        for (ri, row) in rows.iter().enumerate().take(header_end.min(8)) {
            if !plausible(ri) {
                continue;
            }
            let s = business_words(row) as f32 + row.bbox.height / 40.0 - ri as f32 * 0.1;
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((ri, s));
            }
        }
        chosen = best.map(|(ri, _)| (ri, rows[ri].tokens.len(), 0.45));
    }
    let (ri, end, conf) = chosen?;
    let mut first_row = ri;
    let mut text = name_text(&rows[ri], end);
    // Wrapped names: join the row above while this part alone is not a
    // name (only a legal form / business words / a dangling parenthesis) or
    // the row above ends with `&`, `AND`, `-`.
    let mut joined = 0;
    while first_row > 0 && joined < 2 {
        let prev = &rows[first_row - 1];
        let prev_text = prev.text.trim_end();
        let dangling =
            prev_text.ends_with('&') || prev_text.ends_with('-') || prev_text.to_uppercase().ends_with(" AND") || prev_text.ends_with('(');
        let incomplete = !has_distinct_name(&text) || text.starts_with(|c: char| c.is_lowercase()) || opens_paren(prev_text);
        if !(dangling || incomplete) || !plausible(first_row - 1) || is_parenthetical(prev) || legal_form_end(prev).is_some() {
            break;
        }
        let gap = rows[first_row].bbox.top - prev.bbox.bottom();
        if gap > 1.5 * prev.bbox.height.max(rows[first_row].bbox.height) {
            break;
        }
        text = format!("{} {}", squash_spaces(&prev.text), text);
        first_row -= 1;
        joined += 1;
    }
    Some(found_named(ctx, first_row, ri, text, conf))
}

/// Whether a name has at least one word that is not a legal form, business
/// word or parenthesised qualifier (`(M)`).
fn has_distinct_name(text: &str) -> bool {
    let mut depth = 0i32;
    for w in text.split_whitespace() {
        let opens = w.matches('(').count() as i32;
        let closes = w.matches(')').count() as i32;
        let inside = depth > 0 || opens > 0;
        depth += opens - closes;
        if inside {
            continue;
        }
        let k = alnum_key(w);
        if k.len() < 2 {
            continue;
        }
        let generic = BUSINESS_WORDS.contains(&k.as_str())
            || LEGAL_FORMS.iter().any(|f| f.contains(&k.as_str()))
            || matches!(k.as_str(), "SDN" | "CO" | "SB" | "THE" | "AND");
        if !generic {
            return true;
        }
    }
    false
}

fn opens_paren(s: &str) -> bool {
    s.matches('(').count() > s.matches(')').count()
}

/// The name as printed up to `end` (legal form included), without a trailing
/// registration number in parentheses.
fn name_text(row: &Row, end: usize) -> String {
    let mut toks: Vec<String> = row.tokens[..end].iter().map(|t| t.text.clone()).collect();
    // Legal forms as they should read (`SON BHO` -> `SDN BHD`, `$/B` -> `S/B`).
    // Indexes: each token is compared with its neighbours in `row.tokens`.
    #[allow(clippy::needless_range_loop)]
    for k in 0..toks.len() {
        let key = row.tokens[k].key.as_str();
        let next = row.tokens.get(k + 1).map(|t| t.key.as_str()).unwrap_or("");
        let prev = if k > 0 { row.tokens[k - 1].key.as_str() } else { "" };
        if key != "SDN" && legal_word_matches("SDN", key, true) && legal_word_matches("BHD", next, true) {
            toks[k] = canonical_like(&toks[k], "SDN");
        } else if key != "BHD" && legal_word_matches("BHD", key, true) && legal_word_matches("SDN", prev, true) {
            toks[k] = canonical_like(&toks[k], "BHD");
        } else if is_s_slash_b(&toks[k]) {
            toks[k] = canonical_like(&toks[k], "S/B");
        }
    }
    // Drop trailing registration numbers / parenthesised codes with digits.
    while let Some(last) = toks.last() {
        let bare = last.trim_matches(|c: char| c == '(' || c == ')');
        if toks.len() > 1 && (digit_count(bare) >= 3 || last.starts_with('(') && last.ends_with(')') && digit_count(last) > 0) {
            toks.pop();
        } else {
            break;
        }
    }
    // A legal form ending the name is never noise (`Sp. j.`: `j.` looks like a speck).
    let form =
        legal_form_span(row).filter(|&(start, e)| e == end && start > 0 && toks.len() == end).map(|(start, _)| toks.split_off(start));
    strip_edge_noise(&mut toks);
    toks.extend(form.unwrap_or_default());
    squash_spaces(&toks.join(" "))
}

/// `canon` in the case style of `original`, keeping its trailing punctuation.
fn canonical_like(original: &str, canon: &str) -> String {
    let trailing: String = original.chars().rev().take_while(|c| !c.is_alphanumeric()).collect::<Vec<_>>().into_iter().rev().collect();
    let lower =
        original.chars().filter(|c| c.is_alphabetic()).skip(1).all(|c| c.is_lowercase()) && original.chars().any(|c| c.is_lowercase());
    let word = if lower {
        let mut cs = canon.chars();
        cs.next().map(|f| f.to_string() + &cs.as_str().to_lowercase()).unwrap_or_default()
    } else {
        canon.to_string()
    };
    if canon == "S/B" { format!("{canon}{trailing}") } else { format!("{word}{trailing}") }
}

/// OCR specks around a name: tokens without letters or digits, stray
/// symbols and digits, and lowercase fragments next to an uppercase name
/// (`* THAI DELICIOUS RESTAURANT 'a`, `7 ie TRI SHAAS SDN BHD`).
fn strip_edge_noise(toks: &mut Vec<String>) {
    let letters: Vec<char> = toks.iter().flat_map(|t| t.chars()).filter(|c| c.is_alphabetic()).collect();
    let upper_name = !letters.is_empty() && letters.iter().filter(|c| c.is_uppercase()).count() * 10 >= letters.len() * 7;
    let noise = |t: &str| {
        let alnum: Vec<char> = t.chars().filter(|c| c.is_alphanumeric()).collect();
        alnum.is_empty()
            || (alnum.len() == 1 && t.chars().count() <= 2 && !alnum[0].is_uppercase())
            || (upper_name && alnum.len() <= 3 && alnum.iter().any(|c| c.is_lowercase()))
    };
    while toks.len() > 1 && noise(&toks[0]) {
        toks.remove(0);
    }
    while toks.len() > 1 && toks.last().is_some_and(|t| noise(t)) {
        toks.pop();
    }
}

fn found_named(ctx: &Context, first_row: usize, last_row: usize, text: String, conf: f32) -> Found {
    let rows = &ctx.rows;
    let bbox = (first_row..=last_row).map(|r| rows[r].bbox).reduce(|a, b| a.union(&b)).unwrap_or_default();
    let ocr = (first_row..=last_row).map(|r| rows[r].confidence).sum::<f32>() / (last_row - first_row + 1) as f32;
    Found {
        text,
        confidence: (conf * (0.5 + 0.5 * ocr)).clamp(0.0, 1.0),
        source: SourceRef { page: rows[first_row].page, bbox },
        rows: (first_row..=last_row).collect(),
    }
}

/// An address row without OCR specks: tokens with no letter or digit, and
/// short lowercase fragments in an uppercase row (`J |`, `a,`, `oe`).
fn clean_address_row(row: &Row) -> String {
    let letters: Vec<char> = row.text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper_row = !letters.is_empty() && letters.iter().filter(|c| c.is_uppercase()).count() * 10 >= letters.len() * 8;
    let kept: Vec<&str> = row
        .tokens
        .iter()
        .map(|t| t.text.as_str())
        .filter(|t| {
            let alnum: Vec<char> = t.chars().filter(|c| c.is_alphanumeric()).collect();
            let lower_fragment = alnum.len() <= 2 && alnum.iter().all(|c| c.is_lowercase());
            (!alnum.is_empty() || matches!(*t, "&" | "-" | "/"))
                && !(lower_fragment && !alnum.is_empty() && (upper_row || alnum.len() == 1))
        })
        .collect();
    squash_spaces(&kept.join(" "))
}

fn found_from_rows(ctx: &Context, start: usize, end: usize, conf: f32) -> Found {
    let rows = &ctx.rows;
    let text = (start..end).map(|r| clean_address_row(&rows[r])).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ");
    let bbox: BBox = (start..end).map(|r| rows[r].bbox).reduce(|a, b| a.union(&b)).unwrap_or_default();
    let ocr = (start..end).map(|r| rows[r].confidence).sum::<f32>() / (end - start) as f32;
    Found {
        text,
        confidence: (conf * (0.5 + 0.5 * ocr)).clamp(0.0, 1.0),
        source: SourceRef { page: rows[start].page, bbox },
        rows: (start..end).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::tests::doc_from_boxes;

    fn lines(texts: &[&str]) -> Party {
        let boxes: Vec<(f32, f32, f32, f32, &str)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| (50.0, 20.0 + i as f32 * 30.0, 50.0 + 12.0 * t.len() as f32, 40.0 + i as f32 * 30.0, *t))
            .collect();
        let ctx = Context::new(&doc_from_boxes(&boxes));
        find_issuer(&ctx)
    }

    #[test]
    fn legal_form_name_and_address_until_contact_lines() {
        let p = lines(&[
            "THANK YOU FOR SHOPPING",
            "ACME TRADING SDN BHD (123456-X)",
            "NO. 12, JALAN MAJU 3,",
            "TAMAN INDAH,",
            "43000 KAJANG, SELANGOR",
            "TEL: 03-8888 1234",
            "GST ID: 000123456789",
            "TAX INVOICE",
            "ITEM QTY AMOUNT",
            "WIDGET 1 12.00",
            "TOTAL 12.00",
        ]);
        assert_eq!(p.name.unwrap().text, "ACME TRADING SDN BHD");
        assert_eq!(p.address.unwrap().text, "NO. 12, JALAN MAJU 3, TAMAN INDAH, 43000 KAJANG, SELANGOR");
    }

    #[test]
    fn name_without_legal_form_sits_above_the_address_and_wrapped_names_join() {
        let p = lines(&[
            "HOME BREW HARDWARE &",
            "ELECTRICAL",
            "(JM0352019-K)",
            "12 HIGH STREET,",
            "SPRINGFIELD 12345",
            "TEL 555-1234567",
            "RECEIPT",
            "NAILS 2.00",
        ]);
        assert_eq!(p.name.unwrap().text, "HOME BREW HARDWARE & ELECTRICAL");
        assert_eq!(p.address.unwrap().text, "12 HIGH STREET, SPRINGFIELD 12345");
    }

    #[test]
    fn legal_form_split_over_two_rows() {
        let p = lines(&[
            "POPULAR STATIONERY",
            "CO. (M) SDN BHD",
            "(CO. NO. 113825-W)",
            "LOT 8, JALAN 7/118B, DESA TUN RAZAK",
            "56000 KUALA LUMPUR, MALAYSIA",
            "BRANCH NAME",
            "TEL : 03-9201 6281",
            "PEN 2.00",
        ]);
        assert_eq!(p.name.unwrap().text, "POPULAR STATIONERY CO. (M) SDN BHD");
        assert_eq!(p.address.unwrap().text, "LOT 8, JALAN 7/118B, DESA TUN RAZAK 56000 KUALA LUMPUR, MALAYSIA");
    }

    #[test]
    fn european_vendor() {
        let p = lines(&[
            "Rechnung",
            "Muster Elektro GmbH",
            "Hauptstraße 5",
            "10115 Berlin",
            "Tel. +49 30 123456",
            "USt-IdNr: DE123456789",
            "Artikel 12,00",
        ]);
        assert_eq!(p.name.unwrap().text, "Muster Elektro GmbH");
        assert_eq!(p.address.unwrap().text, "Hauptstraße 5 10115 Berlin");
    }

    #[test]
    fn ocr_noise_around_names_is_dropped_and_legal_forms_read_right() {
        let p = lines(&["* THAI DELICIOUS RESTAURANT 'a", "NO.22 JALAN PUTERI 2/4", "47100 PUCHONG, SELANGOR"]);
        assert_eq!(p.name.unwrap().text, "THAI DELICIOUS RESTAURANT");
        let p = lines(&["7 ie TRI SHAAS SON BHO (728515-M)", "4-20, JALAN RIA 25/62", "40400 SHAH ALAM SELANGOR"]);
        assert_eq!(p.name.unwrap().text, "TRI SHAAS SDN BHD");
        let p = lines(&["KING'S CONFECTIONERY $/B 273500-U (KSB)", "NO.41, JALAN SERI BINTANG 2", "52100 KUALA LUMPUR."]);
        assert_eq!(p.name.unwrap().text, "KING'S CONFECTIONERY S/B");
        let p = lines(&["Guardian Health And Beauty San Bhd", "Jalan Loke Yew, 90 Ground Floor", "28700 Bentong"]);
        assert_eq!(p.name.unwrap().text, "Guardian Health And Beauty Sdn Bhd");
    }

    #[test]
    fn ocr_confusion_in_legal_form_is_corrected() {
        let p = lines(&[
            "BOOK TA .K(TAMAN DAYA) SDN BND",
            "789417-W",
            "NO.53 55,57 & 59, JALAN SAGU 18,",
            "81100 JOHOR BAHRU,",
            "JOHOR.",
            "DOCUMENT NO : TD01167104",
        ]);
        assert_eq!(p.name.unwrap().text, "BOOK TA .K(TAMAN DAYA) SDN BHD");
        assert_eq!(p.address.unwrap().text, "NO.53 55,57 & 59, JALAN SAGU 18, 81100 JOHOR BAHRU, JOHOR.");
    }
}
