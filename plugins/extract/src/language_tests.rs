//! Receipts and invoices in each language with a vocabulary: small
//! synthetic OCR-like documents, read with the document's `language`.

use crate::layout::tests::doc_from_boxes;
use crate::model::{BBox, Document, Extraction, Line, Page};

fn receipt(language: &str, lines: &[&str]) -> Extraction {
    let boxes: Vec<(f32, f32, f32, f32, &str)> = lines
        .iter()
        .enumerate()
        .map(|(i, t)| (20.0, 20.0 + i as f32 * 30.0, 20.0 + 10.0 * t.chars().count() as f32, 40.0 + i as f32 * 30.0, *t))
        .collect();
    let mut doc = doc_from_boxes(&boxes);
    doc.language = language.into();
    crate::extract_receipt(&doc).unwrap()
}

fn invoice(language: &str, rows: &[&[(f32, &str)]]) -> Extraction {
    let mut lines = Vec::new();
    for (i, cells) in rows.iter().enumerate() {
        for (x, text) in cells.iter() {
            lines.push(Line::from_text(text, BBox::new(*x, 40.0 + i as f32 * 30.0, 9.0 * text.chars().count() as f32, 20.0), 0.96));
        }
    }
    let doc = Document {
        language: language.into(),
        hints: vec![],
        extract_tables: true,
        pages: vec![Page { number: 1, width: 1240.0, height: 1754.0, lines }],
    };
    crate::extract_invoice(&doc).unwrap()
}

fn iso(e: &Extraction, key: &str) -> Option<String> {
    e.date(key).map(|d| d.iso())
}

#[test]
fn german_receipt() {
    let r = receipt(
        "de",
        &[
            "Bäckerei Schmidt GmbH",
            "Bahnhofstraße 12",
            "80335 München",
            "USt-IdNr. DE136695976",
            "Datum: 14.03.2024 13:45",
            "Brezel 2 x 0,90 1,80",
            "Kaffee 10,70",
            "Summe EUR 12,50",
            "MwSt 19% 2,00",
            "Bar 20,00",
            "Rückgeld 7,50",
        ],
    );
    assert_eq!(r.amount("totalAmount"), Some(12.5));
    assert_eq!(r.amount("taxAmount"), Some(2.0));
    assert_eq!(iso(&r, "date").as_deref(), Some("2024-03-14"));
    assert_eq!(r.text("time"), Some("13:45"));
    assert_eq!(r.text("merchantTaxId"), Some("DE136695976"));
    assert_eq!(r.text("paymentMethod"), Some("cash"));
    assert_eq!(r.text("currency"), Some("EUR"));
}

#[test]
fn french_receipt() {
    let r = receipt(
        "fr",
        &[
            "Boulangerie Dupont SARL",
            "12 rue de la Paix",
            "75002 Paris",
            "N° TVA FR40303265045",
            "Le 14 mars 2024 à 09:05",
            "Baguette 1,20",
            "Croissant 2 x 1,10 2,20",
            "Total HT 3,09",
            "TVA 10% 0,31",
            "Montant TTC 3,40",
            "Carte bancaire 3,40",
        ],
    );
    assert_eq!(r.amount("totalAmount"), Some(3.4));
    assert_eq!(r.amount("subtotal"), Some(3.09));
    assert_eq!(r.amount("taxAmount"), Some(0.31));
    assert_eq!(iso(&r, "date").as_deref(), Some("2024-03-14"));
    assert_eq!(r.text("time"), Some("09:05"));
    assert_eq!(r.text("merchantTaxId"), Some("FR40303265045"));
    assert_eq!(r.text("paymentMethod"), Some("card"));
}

#[test]
fn spanish_receipt_with_an_unprefixed_nif_and_an_ambiguous_date() {
    let r = receipt(
        "es",
        &[
            "Panadería García S.L.",
            "Calle Mayor 5",
            "28013 Madrid",
            "NIF: B58378431",
            "Fecha: 09/02/2024 Hora: 18:30",
            "Pan 1,50",
            "Café 2 x 1,75 3,50",
            "Base imponible 4,55",
            "IVA 10% 0,45",
            "Total a pagar 5,00",
            "Efectivo 10,00",
            "Cambio 5,00",
        ],
    );
    assert_eq!(r.amount("totalAmount"), Some(5.0));
    assert_eq!(r.amount("subtotal"), Some(4.55));
    assert_eq!(iso(&r, "date").as_deref(), Some("2024-02-09"), "day first in Spanish");
    assert_eq!(r.text("time"), Some("18:30"));
    assert_eq!(r.text("merchantTaxId"), Some("B58378431"));
    assert_eq!(r.text("paymentMethod"), Some("cash"));
    // The order came from the language, not from the document: less sure.
    assert!(r.field("date").unwrap().confidence < 0.85, "{}", r.field("date").unwrap().confidence);
}

#[test]
fn italian_receipt() {
    let r = receipt(
        "it",
        &[
            "Bar Roma S.r.l.",
            "Via del Corso 10",
            "00186 Roma",
            "P.IVA 00743110157",
            "Data 14 marzo 2024 Ora 12:10",
            "Cappuccino 1,50",
            "Cornetto 1,20",
            "Totale complessivo 2,70",
            "di cui IVA 0,25",
            "Contanti 5,00",
            "Resto 2,30",
        ],
    );
    assert_eq!(r.amount("totalAmount"), Some(2.7));
    assert_eq!(r.amount("taxAmount"), Some(0.25));
    assert_eq!(iso(&r, "date").as_deref(), Some("2024-03-14"));
    assert_eq!(r.text("time"), Some("12:10"));
    assert_eq!(r.text("merchantTaxId"), Some("00743110157"));
    assert_eq!(r.text("paymentMethod"), Some("cash"));
}

#[test]
fn dutch_receipt() {
    let r = receipt(
        "nl",
        &[
            "Bakkerij de Vries B.V.",
            "Kalverstraat 1",
            "1012 NX Amsterdam",
            "BTW-nr NL004495445B01",
            "Datum 14-03-2024 Tijd 10:15",
            "Brood 2,95",
            "Koffie 2,05",
            "Subtotaal 5,00",
            "BTW 9% 0,45",
            "Totaal 5,45",
            "Pin 5,45",
        ],
    );
    assert_eq!(r.amount("totalAmount"), Some(5.45));
    assert_eq!(r.amount("taxAmount"), Some(0.45));
    assert_eq!(iso(&r, "date").as_deref(), Some("2024-03-14"));
    assert_eq!(r.text("time"), Some("10:15"));
    assert_eq!(r.text("merchantTaxId"), Some("NL004495445B01"));
    assert_eq!(r.text("paymentMethod"), Some("card"));
}

#[test]
fn portuguese_receipt() {
    let r = receipt(
        "pt",
        &[
            "Pastelaria Lisboa Lda",
            "Rua Augusta 100",
            "1100-053 Lisboa",
            "NIF: 501964843",
            "Data: 14-03-2024 Hora: 08:30",
            "Pastel de nata 2 x 1,20 2,40",
            "Café 0,80",
            "Total 3,20",
            "IVA 23% 0,60",
            "Numerário 5,00",
            "Troco 1,80",
        ],
    );
    assert_eq!(r.amount("totalAmount"), Some(3.2));
    assert_eq!(iso(&r, "date").as_deref(), Some("2024-03-14"));
    assert_eq!(r.text("time"), Some("08:30"));
    assert_eq!(r.text("merchantTaxId"), Some("501964843"));
    assert_eq!(r.text("paymentMethod"), Some("cash"));
}

#[test]
fn polish_receipt() {
    let r = receipt(
        "pl",
        &[
            "Piekarnia Kowalski Sp. z o.o.",
            "ul. Marszałkowska 10",
            "00-590 Warszawa",
            "NIP 856-734-62-15",
            "PARAGON FISKALNY",
            "Chleb 4,50",
            "Mleko 2 x 3,25 6,50",
            "SUMA PLN 11,00",
            "PTU A 23% 2,06",
            "Gotówka 20,00",
            "Reszta 9,00",
            "2024-03-14 14:22",
        ],
    );
    assert_eq!(r.amount("totalAmount"), Some(11.0));
    assert_eq!(r.amount("taxAmount"), Some(2.06));
    assert_eq!(iso(&r, "date").as_deref(), Some("2024-03-14"));
    assert_eq!(r.text("time"), Some("14:22"));
    assert_eq!(r.text("merchantTaxId"), Some("8567346215"));
    assert_eq!(r.text("paymentMethod"), Some("cash"));
    assert_eq!(r.text("currency"), Some("PLN"));
}

#[test]
fn latvian_receipt() {
    // The case: read as English, `KOPĀ EUR`, `PVN` and `09. 02. 2022` meant nothing.
    let r = receipt(
        "lv",
        &[
            "SIA Maxima Latvija",
            "Tallinas iela 1, Rīga",
            "PVN reģ. Nr. LV40003521600",
            "Maize 1,20",
            "Piens 2 x 1,75 3,50",
            "KOPĀ EUR 4,70",
            "PVN 21% 0,82",
            "Karte 4,70",
            "09. 02. 2022 13:45",
        ],
    );
    assert_eq!(r.amount("totalAmount"), Some(4.7));
    assert_eq!(r.amount("taxAmount"), Some(0.82));
    assert_eq!(iso(&r, "date").as_deref(), Some("2022-02-09"));
    assert_eq!(r.text("time"), Some("13:45"));
    assert_eq!(r.text("merchantTaxId"), Some("LV40003521600"));
    assert_eq!(r.text("paymentMethod"), Some("card"));
}

#[test]
fn german_invoice_with_a_named_month_and_a_due_date() {
    let e = invoice(
        "de",
        &[
            &[(60.0, "Muster Elektro GmbH")],
            &[(60.0, "Hauptstraße 5")],
            &[(60.0, "10115 Berlin")],
            &[(60.0, "USt-IdNr.: DE 136 695 976")],
            &[],
            &[(60.0, "Rechnungsempfänger:"), (800.0, "Rechnungsnummer: RE-2024-117")],
            &[(60.0, "Beispiel AG"), (800.0, "Rechnungsdatum: 14. März 2024")],
            &[(60.0, "Ringstraße 9"), (800.0, "Fällig am: 13.04.2024")],
            &[(60.0, "80331 München")],
            &[],
            &[(850.0, "Nettobetrag"), (1050.0, "1.000,00 €")],
            &[(850.0, "MwSt 19%"), (1050.0, "190,00 €")],
            &[(850.0, "Gesamtbetrag"), (1050.0, "1.190,00 €")],
        ],
    );
    assert_eq!(e.text("invoiceNumber"), Some("RE-2024-117"));
    assert_eq!(iso(&e, "invoiceDate").as_deref(), Some("2024-03-14"));
    assert_eq!(iso(&e, "dueDate").as_deref(), Some("2024-04-13"));
    assert_eq!(e.text("vendorTaxId"), Some("DE136695976"));
    assert_eq!(e.amount("subtotal"), Some(1000.0));
    assert_eq!(e.amount("taxAmount"), Some(190.0));
    assert_eq!(e.amount("totalAmount"), Some(1190.0));
}

#[test]
fn french_invoice_with_space_grouped_amounts() {
    let e = invoice(
        "fr",
        &[
            &[(60.0, "Conseil Martin SAS")],
            &[(60.0, "8 avenue Foch")],
            &[(60.0, "69006 Lyon")],
            &[(60.0, "N° TVA : FR 40 303 265 045")],
            &[],
            &[(800.0, "Facture n° F-2024-001")],
            &[(800.0, "Date de facture : 03/04/2024")],
            &[(800.0, "Échéance : 03/05/2024")],
            &[],
            &[(850.0, "Total HT"), (1050.0, "1 000,00 €")],
            &[(850.0, "TVA 20 %"), (1050.0, "200,00 €")],
            &[(850.0, "Net à payer"), (1050.0, "1 200,00 €")],
        ],
    );
    assert_eq!(e.text("invoiceNumber"), Some("F-2024-001"));
    assert_eq!(iso(&e, "invoiceDate").as_deref(), Some("2024-04-03"), "3 April in French");
    assert_eq!(iso(&e, "dueDate").as_deref(), Some("2024-05-03"));
    assert_eq!(e.text("vendorTaxId"), Some("FR40303265045"));
    assert_eq!(e.amount("subtotal"), Some(1000.0));
    assert_eq!(e.amount("totalAmount"), Some(1200.0));
    assert_eq!(e.amount("amountDue"), Some(1200.0));
}

#[test]
fn the_same_ambiguous_date_is_month_first_in_the_us() {
    let mut doc = doc_from_boxes(&[(20.0, 20.0, 300.0, 40.0, "Date: 03/04/2024"), (20.0, 50.0, 300.0, 70.0, "Total 5.00")]);
    doc.hints.push(("locale".into(), "en-US".into()));
    let r = crate::extract_receipt(&doc).unwrap();
    assert_eq!(iso(&r, "date").as_deref(), Some("2024-03-04"));
    let mut doc = doc_from_boxes(&[(20.0, 20.0, 300.0, 40.0, "Datum: 03/04/2024"), (20.0, 50.0, 300.0, 70.0, "Summe 5,00")]);
    doc.language = "de".into();
    let r = crate::extract_receipt(&doc).unwrap();
    assert_eq!(iso(&r, "date").as_deref(), Some("2024-04-03"));
}

#[test]
fn polish_invoice() {
    let e = invoice(
        "pl",
        &[
            &[(60.0, "Hurtownia Nowak Sp. z o.o.")],
            &[(60.0, "ul. Długa 5")],
            &[(60.0, "80-831 Gdańsk")],
            &[(60.0, "NIP: 856-734-62-15")],
            &[],
            &[(800.0, "Faktura VAT nr FV/2024/03/15")],
            &[(800.0, "Data wystawienia: 14.03.2024")],
            &[(800.0, "Termin płatności: 28.03.2024")],
            &[],
            &[(850.0, "Razem netto"), (1050.0, "1 000,00 zł")],
            &[(850.0, "VAT 23%"), (1050.0, "230,00 zł")],
            &[(850.0, "Do zapłaty"), (1050.0, "1 230,00 zł")],
        ],
    );
    assert_eq!(e.text("invoiceNumber"), Some("FV/2024/03/15"));
    assert_eq!(iso(&e, "invoiceDate").as_deref(), Some("2024-03-14"));
    assert_eq!(iso(&e, "dueDate").as_deref(), Some("2024-03-28"));
    assert_eq!(e.text("vendorTaxId"), Some("8567346215"));
    assert_eq!(e.amount("subtotal"), Some(1000.0));
    assert_eq!(e.amount("taxAmount"), Some(230.0));
    assert_eq!(e.amount("totalAmount"), Some(1230.0));
    assert_eq!(e.text("currency"), Some("PLN"));
}

#[test]
fn latvian_invoice() {
    let e = invoice(
        "lv",
        &[
            &[(60.0, "SIA Koka Darbnīca")],
            &[(60.0, "Brīvības iela 10, Rīga")],
            &[(60.0, "PVN reģ. Nr. LV40003521600")],
            &[],
            &[(800.0, "Rēķins Nr. KD-2022-042")],
            &[(800.0, "Rēķina datums: 09.02.2022")],
            &[(800.0, "Apmaksas termiņš: 23.02.2022")],
            &[],
            &[(850.0, "Summa bez PVN"), (1050.0, "100,00 EUR")],
            &[(850.0, "PVN 21%"), (1050.0, "21,00 EUR")],
            &[(850.0, "Kopā apmaksai"), (1050.0, "121,00 EUR")],
        ],
    );
    assert_eq!(e.text("invoiceNumber"), Some("KD-2022-042"));
    assert_eq!(iso(&e, "invoiceDate").as_deref(), Some("2022-02-09"));
    assert_eq!(iso(&e, "dueDate").as_deref(), Some("2022-02-23"));
    assert_eq!(e.text("vendorTaxId"), Some("LV40003521600"));
    assert_eq!(e.amount("subtotal"), Some(100.0));
    assert_eq!(e.amount("taxAmount"), Some(21.0));
    assert_eq!(e.amount("totalAmount"), Some(121.0));
    assert_eq!(e.amount("amountDue"), Some(121.0));
}

#[test]
fn spanish_invoice() {
    let e = invoice(
        "es",
        &[
            &[(60.0, "Suministros Pérez S.L.")],
            &[(60.0, "Calle Alcalá 20, 28014 Madrid")],
            &[(60.0, "CIF: B58378431")],
            &[],
            &[(800.0, "Factura nº 2024/0057")],
            &[(800.0, "Fecha de emisión: 9 de febrero de 2024")],
            &[(800.0, "Vencimiento: 10/03/2024")],
            &[],
            &[(850.0, "Base imponible"), (1050.0, "1.000,00 €")],
            &[(850.0, "IVA 21%"), (1050.0, "210,00 €")],
            &[(850.0, "Total factura"), (1050.0, "1.210,00 €")],
        ],
    );
    assert_eq!(e.text("invoiceNumber"), Some("2024/0057"));
    assert_eq!(iso(&e, "invoiceDate").as_deref(), Some("2024-02-09"));
    assert_eq!(iso(&e, "dueDate").as_deref(), Some("2024-03-10"));
    assert_eq!(e.text("vendorTaxId"), Some("B58378431"));
    assert_eq!(e.amount("totalAmount"), Some(1210.0));
    assert_eq!(e.amount("taxAmount"), Some(210.0));
}

#[test]
fn portuguese_invoice_with_space_grouped_amounts_and_a_glued_due_date() {
    // pt_PT's locale data names no grouping mark, yet `8 394,62` is how
    // Portuguese invoices print thousands; OCR glued the due day to its label.
    let e = invoice(
        "pt",
        &[
            &[(60.0, "Padaria Lusitana, Lda."), (1000.0, "FATURA")],
            &[(60.0, "Rua do Ouro 40")],
            &[(60.0, "1100-063 Lisboa")],
            &[(60.0, "NIF: PT501964843")],
            &[],
            &[(800.0, "Fatura n.º FT2024-77")],
            &[(800.0, "Data da fatura: 3 de março de 2024")],
            &[(800.0, "Data de venciment2 de abril de 2024")],
            &[],
            &[(850.0, "Total sem IVA"), (1050.0, "8 394,62 €")],
            &[(850.0, "IVA 23%"), (1050.0, "1 930,76 €")],
            &[(850.0, "Total a pagar"), (1050.0, "10 325,38€")],
        ],
    );
    assert_eq!(e.amount("subtotal"), Some(8394.62));
    assert_eq!(e.amount("taxAmount"), Some(1930.76));
    assert_eq!(e.amount("totalAmount"), Some(10325.38));
    assert_eq!(iso(&e, "invoiceDate").as_deref(), Some("2024-03-03"));
    assert_eq!(iso(&e, "dueDate").as_deref(), Some("2024-04-02"));
    assert_eq!(e.text("vendorName"), Some("Padaria Lusitana, Lda."));
}

#[test]
fn a_quantity_column_is_not_taken_for_thousands() {
    // Decimal-comma documents join `1 234,56` only across a tight gap.
    let e = invoice(
        "es",
        &[
            &[(60.0, "Papelería Ruiz S.L.")],
            &[(60.0, "Calle Mayor 1, 28013 Madrid")],
            &[],
            &[(60.0, "Tóner"), (700.0, "4"), (900.0, "345,52"), (1050.0, "1.382,08")],
            &[(850.0, "Total"), (1050.0, "1.382,08 €")],
        ],
    );
    assert_eq!(e.amount("totalAmount"), Some(1382.08));
    assert_ne!(e.amount("subtotal"), Some(4345.52));
}

#[test]
fn polish_legal_forms_end_the_vendor_name() {
    for form in ["Sp. j.", "Sp. z o.o.", "Sp. k.", "S.A."] {
        let name = format!("Zakład Poligraficzny Żuraw {form}");
        let e = invoice(
            "pl",
            &[
                &[(60.0, name.as_str()), (900.0, "FAKTURA VAT")],
                &[(60.0, "ul. Piotrkowska 5")],
                &[(60.0, "90-004 Łódź")],
                &[(60.0, "NIP: PL8567346215")],
                &[],
                &[(800.0, "Faktura nr F2025-12")],
                &[(800.0, "Data wystawienia: 1 kwietnia 2025")],
                &[],
                &[(850.0, "Razem do zapłaty"), (1050.0, "1 230,00 zł")],
            ],
        );
        assert_eq!(e.text("vendorName"), Some(name.as_str()), "{form}");
    }
}

#[test]
fn latvian_invoice_with_long_dates_and_a_spaced_out_title() {
    // `2025. gada 19. maijs`: year first, "gada", day, month (nominative or
    // genitive); OCR spaced out the wide title `RĒĶINS`.
    let e = invoice(
        "lv",
        &[
            &[(60.0, "AS Daugavas Enerģija"), (1000.0, "RĒ KI N S")],
            &[(60.0, "Krišjāņa Valdemāra iela 5")],
            &[(60.0, "Jelgava, LV-3001")],
            &[(60.0, "PVN reģ. Nr.: LV40003521600")],
            &[],
            &[(800.0, "Rēķina Nr. 2025-6939")],
            &[(800.0, "Datums: 2025. gada 19. maijs")],
            &[(800.0, "Apmaksāt līdz: 2025. gada 18. jūnija")],
            &[],
            &[(850.0, "Summa bez PVN"), (1050.0, "5 789,38 €")],
            &[(850.0, "PVN 21%"), (1050.0, "1 215,77 €")],
            &[(850.0, "Kopā apmaksai"), (1050.0, "7 005,15 €")],
        ],
    );
    assert_eq!(iso(&e, "invoiceDate").as_deref(), Some("2025-05-19"));
    assert_eq!(iso(&e, "dueDate").as_deref(), Some("2025-06-18"));
    assert_eq!(e.text("vendorName"), Some("AS Daugavas Enerģija"));
    assert_eq!(e.amount("totalAmount"), Some(7005.15));
}

#[test]
fn titles_in_any_language_are_never_the_vendor() {
    for (lang, title) in [
        ("pt", "FATURA"),
        ("pl", "FAKTURA"),
        ("lv", "RĒĶINS"),
        ("lv", "REĶI N S"),
        ("pl", "F A K T U R A"),
        ("es", "FACTURA"),
        ("it", "FATTURA"),
        ("nl", "FACTUUR"),
    ] {
        let e = invoice(
            lang,
            &[
                &[(1000.0, title)],
                &[(60.0, "Oficina Central")],
                &[(60.0, "Rua Augusta 12")],
                &[(60.0, "1100-048 Lisboa")],
                &[],
                &[(850.0, "Total"), (1050.0, "100,00 €")],
            ],
        );
        assert_ne!(e.text("vendorName"), Some(title), "{lang}");
    }
}

#[test]
fn dutch_card_payments() {
    for label in ["Pinbetaling", "Betaald met PIN", "PIN", "Pinnen", "Maestro", "V PAY"] {
        let r = receipt(
            "nl",
            &["Bakkerij de Vries B.V.", "Kerkstraat 12", "3011 AD Rotterdam", "Brood 3,50", "TOTAAL 3,50", &format!("{label} 3,50")],
        );
        assert_eq!(r.text("paymentMethod"), Some("card"), "{label}");
        assert_eq!(r.amount("totalAmount"), Some(3.5), "{label}");
    }
}

#[test]
fn a_payment_word_opening_an_item_line_is_an_item() {
    // Italian `carta` is a payment card, and paper: `Carta per stampante A4`.
    let e = invoice(
        "it",
        &[
            &[(60.0, "Panificio Città Srl"), (1000.0, "FATTURA")],
            &[(60.0, "Piazza del Duomo 3")],
            &[(60.0, "20121 Milano")],
            &[],
            &[(60.0, "Carta per stampante A4"), (700.0, "6"), (900.0, "343,57"), (1050.0, "2.061,42")],
            &[(60.0, "Lampada da scrivania"), (700.0, "1"), (900.0, "272,69"), (1050.0, "272,69")],
            &[(850.0, "Imponibile"), (1050.0, "2.334,11 €")],
            &[(850.0, "IVA 22%"), (1050.0, "513,50 €")],
            &[(850.0, "Totale fattura"), (1050.0, "2.847,61 €")],
        ],
    );
    assert_eq!(e.amount("taxAmount"), Some(513.5));
    assert_eq!(e.amount("totalAmount"), Some(2847.61));
    assert_ne!(e.amount("amountDue"), Some(786.19));
}

#[test]
fn a_misread_subtotal_gives_way_to_its_items_and_the_total() {
    // OCR read the thin space of `7 376,25` as a digit.
    let e = invoice(
        "pt",
        &[
            &[(60.0, "Padaria Lusitana, Lda."), (1000.0, "FATURA")],
            &[(60.0, "Rua do Ouro 40")],
            &[(60.0, "1100-063 Lisboa")],
            &[],
            &[(60.0, "Portes de envio"), (700.0, "2"), (900.0, "352,58"), (1050.0, "705,16")],
            &[(60.0, "Papel de impressão A4"), (700.0, "11"), (900.0, "606,46"), (1050.0, "6 671,09")],
            &[(850.0, "Total sem IVA"), (1050.0, "73176,25 €")],
            &[(850.0, "IVA 23%"), (1050.0, "1 696,54 €")],
            &[(850.0, "Total a pagar"), (1050.0, "9 072,79 €")],
        ],
    );
    assert_eq!(e.amount("totalAmount"), Some(9072.79));
    assert_eq!(e.amount("subtotal"), Some(7376.25));
}
