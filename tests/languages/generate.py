#!/usr/bin/env python3
"""Renders invoices and till receipts in several languages, with the fields
they print, for `folio eval languages` and the end-to-end language tests.

    python3 tests/languages/generate.py OUT [--languages de,fr] [--invoices 3] [--receipts 3] [--seed 1]

Layout: OUT/<lang>/<lang>-<invoice|receipt>-<n>.png (300 DPI, clean render with
DejaVu from scripts/setup) and beside each a .json:

    {"id": "de-invoice-1", "language": "de", "country": "DE", "documentType": "invoice",
     "image": "de-invoice-1.png", "expected": {"invoiceNumber": ..., "totalAmount": 1234.56, ...}}

`expected` uses the DocuRift `extractedData` keys: dates ISO (YYYY-MM-DD),
amounts as numbers, tax ids with their country prefix and no spaces, time
HH:MM. Everything is drawn from a seeded RNG: the same seed gives the same set.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

try:
    from . import vat  # imported as tests.languages.generate
except ImportError:
    import vat  # run as a script

DPI = 300
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pt", "pl", "lv"]


def font_dir() -> Path:
    data = Path(os.environ.get("FOLIO_DATA_DIR", Path.home() / ".cache/folio/data"))
    return data / "fonts"


def fonts_available() -> bool:
    return all((font_dir() / f).is_file() for f in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"))


def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    path = font_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} missing: run scripts/setup (it fetches DejaVu from Debian's fonts-dejavu-core)")
    return ImageFont.truetype(str(path), px)


@dataclass
class Locale:
    lang: str
    country: str
    currency: str  # ISO 4217, what `currency` should say
    symbol: str  # as printed beside amounts
    decimal: str
    group: str
    vat_rate: int
    months: list[str]
    long_date: str  # format with {d} {m} {y}; {dd} zero-padded day
    short_date: str  # format with {dd} {mm} {y}
    receipt_date: str
    inv: dict[str, str]  # invoice labels
    rcp: dict[str, str]  # receipt labels
    vendors: list[str]
    customers: list[str]
    streets: list[str]
    cities: list[str]
    items: list[str]
    shops: list[str] = field(default_factory=list)
    groceries: list[str] = field(default_factory=list)


L = {
    "en": Locale(
        "en", "GB", "GBP", "£", ".", ",", 20,
        "January February March April May June July August September October November December".split(),
        "{d} {m} {y}", "{dd}/{mm}/{y}", "{dd}/{mm}/{y}",
        dict(title="INVOICE", number="Invoice No:", date="Invoice Date:", due="Due Date:", bill_to="Bill to:",
             desc="Description", qty="Qty", unit="Unit price", amount="Amount", subtotal="Subtotal",
             tax="VAT {r}%", total="Total", vat_id="VAT No:", thanks="Payment within 30 days. Thank you for your business."),
        dict(vat_id="VAT No:", date="Date:", time="Time:", total="TOTAL", tax="VAT {r}% incl.", cash="Cash", card="Card",
             thanks="Thank you for shopping with us"),
        ["Harbour Street Supplies Ltd", "Northgate Printing Ltd", "Kestrel Office Services Ltd"],
        ["Willow & Finch LLP", "Brightside Consulting Ltd"],
        ["14 Harbour Street", "2 Northgate Road", "77 Mill Lane"],
        ["Bristol BS1 4DJ", "Leeds LS2 7EE", "York YO1 9QL"],
        ["Printer paper A4", "Toner cartridge", "Desk lamp", "Consulting hours", "Delivery"],
        ["Corner Grocery Ltd", "The Daily Bread Bakery Ltd"],
        ["Milk 2L", "Bread", "Cheddar", "Apples", "Coffee beans", "Orange juice"],
    ),
    "de": Locale(
        "de", "DE", "EUR", "€", ",", ".", 19,
        "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
        "{d}. {m} {y}", "{dd}.{mm}.{y}", "{dd}.{mm}.{y}",
        dict(title="RECHNUNG", number="Rechnungsnummer:", date="Rechnungsdatum:", due="Fällig am:", bill_to="Rechnungsempfänger:",
             desc="Beschreibung", qty="Menge", unit="Einzelpreis", amount="Betrag", subtotal="Zwischensumme (netto)",
             tax="MwSt. {r} %", total="Gesamtbetrag", vat_id="USt-IdNr.:", thanks="Zahlbar innerhalb von 14 Tagen ohne Abzug."),
        dict(vat_id="USt-IdNr.:", date="Datum:", time="Uhrzeit:", total="SUMME EUR", tax="enth. MwSt. {r} %", cash="Bar",
             card="EC-Karte", thanks="Vielen Dank für Ihren Einkauf!"),
        ["Müller & Söhne GmbH", "Bäckerei Groß KG", "Schäfer Bürotechnik GmbH"],
        ["Weißenfels Logistik AG", "Jürgen Köhler e.K."],
        ["Hauptstraße 12", "Königsallee 7", "Lindenweg 3"],
        ["10115 Berlin", "80331 München", "50667 Köln"],
        ["Druckerpapier A4", "Tonerkartusche", "Schreibtischlampe", "Beratungsstunden", "Lieferung"],
        ["Bäckerei Groß KG", "Edeka Märkte Süd GmbH"],
        ["Vollmilch 1L", "Brötchen", "Käse Gouda", "Äpfel 1kg", "Kaffee", "Orangensaft"],
    ),
    "fr": Locale(
        "fr", "FR", "EUR", "€", ",", " ", 20,
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
        "{d} {m} {y}", "{dd}/{mm}/{y}", "{dd}/{mm}/{y}",
        dict(title="FACTURE", number="Facture n° :", date="Date de facture :", due="Date d'échéance :", bill_to="Facturé à :",
             desc="Désignation", qty="Qté", unit="Prix unitaire HT", amount="Montant HT", subtotal="Total HT",
             tax="TVA {r} %", total="Total TTC", vat_id="N° TVA intracommunautaire :", thanks="Paiement à 30 jours. Merci de votre confiance."),
        dict(vat_id="N° TVA :", date="Date :", time="Heure :", total="TOTAL TTC", tax="dont TVA {r} %", cash="Espèces",
             card="Carte bancaire", thanks="Merci de votre visite, à bientôt !"),
        ["Boulangerie Lefèvre SARL", "Éditions Ménard SAS", "Garçon & Fils SARL"],
        ["Société Générale d'Études", "Hôtel Côte d'Azur SA"],
        ["12 rue de la Paix", "5 avenue des Champs-Élysées", "8 place Bellecour"],
        ["75002 Paris", "69002 Lyon", "13001 Marseille"],
        ["Papier d'impression A4", "Cartouche de toner", "Lampe de bureau", "Heures de conseil", "Livraison"],
        ["Boulangerie Lefèvre SARL", "Épicerie Noël SARL"],
        ["Lait demi-écrémé", "Baguette", "Fromage comté", "Pommes 1kg", "Café moulu", "Jus d'orange"],
    ),
    "es": Locale(
        "es", "ES", "EUR", "€", ",", ".", 21,
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
        "{d} de {m} de {y}", "{dd}/{mm}/{y}", "{dd}/{mm}/{y}",
        dict(title="FACTURA", number="Nº de factura:", date="Fecha de factura:", due="Fecha de vencimiento:", bill_to="Cliente:",
             desc="Descripción", qty="Cant.", unit="Precio unitario", amount="Importe", subtotal="Base imponible",
             tax="IVA {r} %", total="Total factura", vat_id="NIF-IVA:", thanks="Pago a 30 días. Gracias por su confianza."),
        dict(vat_id="NIF-IVA:", date="Fecha:", time="Hora:", total="TOTAL", tax="IVA {r}% incluido", cash="Efectivo",
             card="Tarjeta", thanks="¡Gracias por su compra!"),
        ["Panadería Muñoz S.L.", "Distribuciones Ibáñez S.A.", "Construcciones Peña S.L."],
        ["Hoteles Señorío S.A.", "Asesoría Gómez y Cía"],
        ["Calle Mayor 12", "Avenida de la Constitución 5", "Plaza de España 3"],
        ["28013 Madrid", "41004 Sevilla", "08002 Barcelona"],
        ["Papel de impresora A4", "Cartucho de tóner", "Lámpara de escritorio", "Horas de consultoría", "Envío"],
        ["Panadería Muñoz S.L.", "Supermercados Núñez S.A."],
        ["Leche entera", "Pan de barra", "Queso manchego", "Manzanas 1kg", "Café molido", "Zumo de naranja"],
    ),
    "it": Locale(
        "it", "IT", "EUR", "€", ",", ".", 22,
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
        "{d} {m} {y}", "{dd}/{mm}/{y}", "{dd}/{mm}/{y}",
        dict(title="FATTURA", number="Fattura n.", date="Data fattura:", due="Scadenza:", bill_to="Destinatario:",
             desc="Descrizione", qty="Q.tà", unit="Prezzo unitario", amount="Importo", subtotal="Imponibile",
             tax="IVA {r}%", total="Totale fattura", vat_id="Partita IVA:", thanks="Pagamento a 30 giorni. Grazie per la fiducia."),
        dict(vat_id="P.IVA:", date="Data:", time="Ora:", total="TOTALE COMPLESSIVO", tax="di cui IVA {r}%", cash="Contanti",
             card="Carta di credito", thanks="Grazie e arrivederci!"),
        ["Panificio Città Srl", "Forniture Rossi & Figli S.p.A.", "Caffè Niccolò Srl"],
        ["Società Agricola Perù Srl", "Studio Bianchi & Associati"],
        ["Via Roma 12", "Corso Vittorio Emanuele II 5", "Piazza del Duomo 3"],
        ["20121 Milano", "00184 Roma", "50122 Firenze"],
        ["Carta per stampante A4", "Cartuccia toner", "Lampada da scrivania", "Ore di consulenza", "Spedizione"],
        ["Panificio Città Srl", "Supermercato Però Srl"],
        ["Latte intero", "Pane", "Parmigiano", "Mele 1kg", "Caffè macinato", "Succo d'arancia"],
    ),
    "nl": Locale(
        "nl", "NL", "EUR", "€", ",", ".", 21,
        "januari februari maart april mei juni juli augustus september oktober november december".split(),
        "{d} {m} {y}", "{dd}-{mm}-{y}", "{dd}-{mm}-{y}",
        dict(title="FACTUUR", number="Factuurnummer:", date="Factuurdatum:", due="Vervaldatum:", bill_to="Factuuradres:",
             desc="Omschrijving", qty="Aantal", unit="Stukprijs", amount="Bedrag", subtotal="Subtotaal excl. btw",
             tax="Btw {r}%", total="Totaal incl. btw", vat_id="Btw-nummer:", thanks="Betaling binnen 30 dagen. Hartelijk dank."),
        dict(vat_id="Btw-nr:", date="Datum:", time="Tijd:", total="TOTAAL", tax="Btw {r}% inbegrepen", cash="Contant",
             card="Pinbetaling", thanks="Bedankt en tot ziens!"),
        ["Bakkerij de Vries B.V.", "Van den Berg Kantoorartikelen B.V.", "Jansen & Zoon B.V."],
        ["IJsselmeer Logistiek B.V.", "Café 't Hoekje"],
        ["Kerkstraat 12", "Prinsengracht 263", "Markt 5"],
        ["1017 GB Amsterdam", "3011 AD Rotterdam", "3512 JE Utrecht"],
        ["Printpapier A4", "Tonercassette", "Bureaulamp", "Adviesuren", "Verzendkosten"],
        ["Bakkerij de Vries B.V.", "Supermarkt Hoogvliet B.V."],
        ["Halfvolle melk", "Volkorenbrood", "Goudse kaas", "Appels 1kg", "Koffiebonen", "Sinaasappelsap"],
    ),
    "pt": Locale(
        "pt", "PT", "EUR", "€", ",", " ", 23,
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro".split(),
        "{d} de {m} de {y}", "{dd}/{mm}/{y}", "{dd}/{mm}/{y}",
        dict(title="FATURA", number="Fatura n.º", date="Data da fatura:", due="Data de vencimento:", bill_to="Cliente:",
             desc="Descrição", qty="Qtd.", unit="Preço unitário", amount="Valor", subtotal="Total sem IVA",
             tax="IVA {r}%", total="Total a pagar", vat_id="NIF:", thanks="Pagamento a 30 dias. Obrigado pela preferência."),
        dict(vat_id="NIF:", date="Data:", time="Hora:", total="TOTAL", tax="IVA {r}% incluído", cash="Numerário",
             card="Multibanco", thanks="Obrigado pela sua visita!"),
        ["Padaria São João, Lda.", "Conceição & Filhos, Lda.", "Distribuidora Açores S.A."],
        ["Hotel Estrela do Mar, S.A.", "Gonçalves Consultoria, Lda."],
        ["Rua Augusta 12", "Avenida da Liberdade 5", "Praça do Comércio 3"],
        ["1100-048 Lisboa", "4000-322 Porto", "3000-150 Coimbra"],
        ["Papel de impressão A4", "Cartucho de toner", "Candeeiro de secretária", "Horas de consultoria", "Portes de envio"],
        ["Padaria São João, Lda.", "Mercearia Conceição, Lda."],
        ["Leite meio-gordo", "Pão de forma", "Queijo flamengo", "Maçãs 1kg", "Café moído", "Sumo de laranja"],
    ),
    "pl": Locale(
        "pl", "PL", "PLN", "zł", ",", " ", 23,
        "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia".split(),
        "{d} {m} {y}", "{dd}.{mm}.{y}", "{dd}.{mm}.{y}",
        dict(title="FAKTURA VAT", number="Faktura nr", date="Data wystawienia:", due="Termin płatności:", bill_to="Nabywca:",
             desc="Nazwa towaru lub usługi", qty="Ilość", unit="Cena netto", amount="Wartość netto", subtotal="Razem netto",
             tax="VAT {r}%", total="Razem do zapłaty", vat_id="NIP:", thanks="Płatność przelewem w terminie 14 dni. Dziękujemy."),
        dict(vat_id="NIP:", date="Data:", time="Godz.:", total="SUMA PLN", tax="PTU A {r}%", cash="Gotówka",
             card="Karta płatnicza", thanks="Dziękujemy za zakupy!"),
        ["Piekarnia Łódzka Sp. z o.o.", "Zakład Poligraficzny Żuraw Sp. j.", "Hurtownia Świętokrzyska S.A."],
        ["Gdańskie Młyny Sp. z o.o.", "Kancelaria Wójcik i Wspólnicy"],
        ["ul. Marszałkowska 12", "ul. Piotrkowska 5", "al. Jerozolimskie 3"],
        ["00-624 Warszawa", "90-004 Łódź", "31-042 Kraków"],
        ["Papier do drukarki A4", "Kaseta z tonerem", "Lampka biurkowa", "Godziny doradztwa", "Dostawa"],
        ["Piekarnia Łódzka Sp. z o.o.", "Sklep Spożywczy Żabka"],
        ["Mleko 2%", "Chleb żytni", "Ser żółty", "Jabłka 1kg", "Kawa mielona", "Sok pomarańczowy"],
    ),
    "lv": Locale(
        "lv", "LV", "EUR", "€", ",", " ", 21,
        "janvāris februāris marts aprīlis maijs jūnijs jūlijs augusts septembris oktobris novembris decembris".split(),
        "{y}. gada {d}. {m}", "{dd}.{mm}.{y}.", "{dd}. {mm}. {y}",
        dict(title="RĒĶINS", number="Rēķina Nr.", date="Datums:", due="Apmaksāt līdz:", bill_to="Saņēmējs:",
             desc="Nosaukums", qty="Daudz.", unit="Cena", amount="Summa", subtotal="Summa bez PVN",
             tax="PVN {r}%", total="Kopā apmaksai", vat_id="PVN reģ. Nr.:", thanks="Lūdzam apmaksāt 14 dienu laikā. Paldies!"),
        dict(vat_id="PVN reģ. Nr.:", date="Datums:", time="Laiks:", total="KOPĀ EUR", tax="t.sk. PVN {r}%", cash="Skaidra nauda",
             card="Maksājumu karte", thanks="Paldies par pirkumu!"),
        ["SIA Rīgas Maiznīca", "SIA Ķemeru Ūdens", "AS Latvijas Gāze Serviss"],
        ["SIA Jūrmalas Viesnīca", "SIA Kalniņš un Partneri"],
        ["Brīvības iela 12", "Krišjāņa Valdemāra iela 5", "Tērbatas iela 3"],
        ["Rīga, LV-1010", "Liepāja, LV-3401", "Jelgava, LV-3001"],
        ["Printera papīrs A4", "Tonera kasetne", "Galda lampa", "Konsultāciju stundas", "Piegāde"],
        ["SIA Rīgas Maiznīca", "SIA Mego Veikals"],
        ["Piens 2%", "Rupjmaize", "Siers", "Āboli 1kg", "Kafija", "Apelsīnu sula"],
    ),
}


def money(loc: Locale, x: float) -> str:
    whole, frac = f"{x:.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return loc.group.join(groups) + loc.decimal + frac


def fmt_date(loc: Locale, d: date, style: str) -> str:
    f = {"long": loc.long_date, "short": loc.short_date, "receipt": loc.receipt_date}[style]
    return f.format(d=d.day, dd=f"{d.day:02d}", m=loc.months[d.month - 1], mm=f"{d.month:02d}", y=d.year)


def cents(x: float) -> float:
    return round(x + 1e-9, 2)


class Canvas:
    def __init__(self, width: int, height: int):
        self.img = Image.new("L", (width, height), 255)
        self.draw = ImageDraw.Draw(self.img)
        self.y = 0

    def text(self, x: int, s: str, font, right: bool = False, center: bool = False):
        w = self.draw.textlength(s, font=font)
        if right:
            x = int(x - w)
        elif center:
            x = int(x - w / 2)
        self.draw.text((x, self.y), s, fill=0, font=font)

    def png(self, path: Path, bottom: int | None = None):
        img = self.img if bottom is None else self.img.crop((0, 0, self.img.width, bottom))
        img.save(path, "PNG", dpi=(DPI, DPI))


def invoice(loc: Locale, rng: random.Random, n: int) -> tuple[Canvas, dict]:
    # A4 at 300 DPI.
    c = Canvas(2480, 3508)
    body, bold, big = _font("DejaVuSans.ttf", 42), _font("DejaVuSans-Bold.ttf", 42), _font("DejaVuSans-Bold.ttf", 80)
    line = 64
    vendor = rng.choice(loc.vendors)
    customer = rng.choice(loc.customers)
    tax_id = vat.MAKERS[loc.country](rng)
    issued = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 700))
    due = issued + timedelta(days=rng.choice([14, 30]))
    number = f"{rng.choice(['', 'F', 'R', 'INV-'])}{issued.year}-{rng.randrange(1, 9999):04d}"
    date_style = rng.choice(["long", "short"])

    c.y = 200
    c.text(200, vendor, bold)
    for s in (rng.choice(loc.streets), rng.choice(loc.cities), f"{loc.inv['vat_id']} {tax_id}"):
        c.y += line
        c.text(200, s, body)
    c.y = 200
    c.text(2280, loc.inv["title"], big, right=True)
    c.y = 620
    c.text(200, loc.inv["bill_to"], bold)
    c.y += line
    c.text(200, customer, body)
    c.y += line
    c.text(200, rng.choice(loc.streets) + ", " + rng.choice(loc.cities), body)
    c.y = 620
    pairs = ((loc.inv["number"], number), (loc.inv["date"], fmt_date(loc, issued, date_style)),
             (loc.inv["due"], fmt_date(loc, due, date_style)))
    # Labels start at 1400 unless a long label and date would overprint each
    # other (`Fecha de vencimiento:` + `16 de diciembre de 2024`): then the
    # label column moves left, as a layout program would, keeping a gap.
    label_x = min([1400] + [int(2280 - c.draw.textlength(v, font=body) - 60 - c.draw.textlength(k, font=body)) for k, v in pairs])
    for label, value in pairs:
        c.text(label_x, label, body)
        c.text(2280, value, body, right=True)
        c.y += line

    c.y = 1050
    cols = (200, 1450, 1850, 2280)
    c.text(cols[0], loc.inv["desc"], bold)
    c.text(cols[1], loc.inv["qty"], bold, right=True)
    c.text(cols[2], loc.inv["unit"], bold, right=True)
    c.text(cols[3], loc.inv["amount"], bold, right=True)
    c.y += line + 10
    c.draw.line((200, c.y, 2280, c.y), fill=0, width=3)
    c.y += 30
    subtotal = 0.0
    for item in rng.sample(loc.items, rng.randrange(2, 5)):
        qty = rng.randrange(1, 12)
        unit = cents(rng.uniform(4, 480))
        amount = cents(qty * unit)
        subtotal = cents(subtotal + amount)
        c.text(cols[0], item, body)
        c.text(cols[1], str(qty), body, right=True)
        c.text(cols[2], money(loc, unit), body, right=True)
        c.text(cols[3], money(loc, amount), body, right=True)
        c.y += line
    tax = cents(subtotal * loc.vat_rate / 100)
    total = cents(subtotal + tax)
    c.y += 20
    c.draw.line((1300, c.y, 2280, c.y), fill=0, width=3)
    c.y += 30
    for label, value, f in ((loc.inv["subtotal"], subtotal, body), (loc.inv["tax"].format(r=loc.vat_rate), tax, body),
                            (f"{loc.inv['total']} ({loc.currency})", total, bold)):
        c.text(1300, label, f)
        c.text(2280, f"{money(loc, value)} {loc.symbol}" if loc.lang != "en" else f"{loc.symbol}{money(loc, value)}", f, right=True)
        c.y += line
    c.y += 2 * line
    c.text(200, loc.inv["thanks"], body)
    expected = {
        "invoiceNumber": number, "invoiceDate": issued.isoformat(), "dueDate": due.isoformat(),
        "vendorName": vendor, "vendorTaxId": tax_id, "subtotal": subtotal, "taxAmount": tax,
        "totalAmount": total, "currency": loc.currency,
    }
    return c, expected


def receipt(loc: Locale, rng: random.Random, n: int) -> tuple[Canvas, dict]:
    # An 80 mm till roll at 300 DPI, monospaced like a receipt printer.
    width = 945
    c = Canvas(width, 2600)
    mono, bold = _font("DejaVuSansMono.ttf", 34), _font("DejaVuSans-Bold.ttf", 40)
    line = 52
    left, right = 40, width - 40
    merchant = rng.choice(loc.shops)
    tax_id = vat.MAKERS[loc.country](rng)
    when = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 1000))
    hh, mm = rng.randrange(7, 22), rng.randrange(0, 60)

    c.y = 60
    c.text(width // 2, merchant, bold, center=True)
    c.y += line + 6
    for s in (rng.choice(loc.streets), rng.choice(loc.cities), f"{loc.rcp['vat_id']} {tax_id}"):
        c.text(width // 2, s, mono, center=True)
        c.y += line
    c.y += line // 2
    c.text(left, f"{loc.rcp['date']} {fmt_date(loc, when, 'receipt')}", mono)
    c.text(right, f"{loc.rcp['time']} {hh:02d}:{mm:02d}", mono, right=True)
    c.y += line + 10
    c.draw.line((left, c.y, right, c.y), fill=0, width=2)
    c.y += 24
    total = 0.0
    for item in rng.sample(loc.groceries, rng.randrange(2, 6)):
        price = cents(rng.uniform(0.5, 25))
        total = cents(total + price)
        c.text(left, item, mono)
        c.text(right, money(loc, price), mono, right=True)
        c.y += line
    c.y += 10
    c.draw.line((left, c.y, right, c.y), fill=0, width=2)
    c.y += 24
    c.text(left, loc.rcp["total"], bold)
    # The total names its currency: in the label (SUMME EUR, KOPĀ EUR, SUMA PLN) or by its sign.
    shown = money(loc, total)
    if loc.lang == "en":
        shown = loc.symbol + shown
    elif loc.currency not in loc.rcp["total"]:
        shown += " " + loc.symbol
    c.text(right, shown, bold, right=True)
    c.y += line + 10
    tax = cents(total * loc.vat_rate / (100 + loc.vat_rate))  # prices include VAT
    c.text(left, loc.rcp["tax"].format(r=loc.vat_rate), mono)
    c.text(right, money(loc, tax), mono, right=True)
    c.y += line
    method = rng.choice(["cash", "card"])
    c.text(left, loc.rcp[method], mono)
    c.text(right, money(loc, total), mono, right=True)
    c.y += 2 * line
    c.text(width // 2, loc.rcp["thanks"], mono, center=True)
    c.y += line + 60
    expected = {
        "merchantName": merchant, "merchantTaxId": tax_id, "date": when.isoformat(), "time": f"{hh:02d}:{mm:02d}",
        "taxAmount": tax, "totalAmount": total, "currency": loc.currency, "paymentMethod": method,
    }
    return c, expected


def generate(out: Path, languages: list[str], invoices: int = 3, receipts: int = 3, seed: int = 1) -> list[Path]:
    """Writes the set; returns the JSON files written."""
    written = []
    for lang in languages:
        loc = L[lang]
        d = out / lang
        d.mkdir(parents=True, exist_ok=True)
        for kind, count, make in (("invoice", invoices, invoice), ("receipt", receipts, receipt)):
            for n in range(1, count + 1):
                # One RNG per document: adding documents does not change the others.
                rng = random.Random(f"{seed}:{lang}:{kind}:{n}")
                canvas, expected = make(loc, rng, n)
                name = f"{lang}-{kind}-{n}"
                canvas.png(d / f"{name}.png", bottom=canvas.y if kind == "receipt" else None)
                meta = {"id": name, "language": lang, "country": loc.country, "documentType": kind,
                        "image": f"{name}.png", "expected": expected}
                (d / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n")
                written.append(d / f"{name}.json")
    return written


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("--languages", default=",".join(LANGUAGES))
    p.add_argument("--invoices", type=int, default=3)
    p.add_argument("--receipts", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    langs = [x.strip() for x in a.languages.split(",") if x.strip()]
    unknown = [x for x in langs if x not in L]
    if unknown:
        p.error(f"no templates for {unknown}; have {sorted(L)}")
    files = generate(a.out, langs, a.invoices, a.receipts, a.seed)
    print(f"{len(files)} documents in {a.out}")


if __name__ == "__main__":
    main()
