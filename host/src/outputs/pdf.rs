//! The searchable PDF, written with `lopdf`: each OCR'd page is the original
//! image (a JPEG upload is embedded byte for byte, an 8-bit PNG's compressed
//! data as it is; other rasters decoded and stored losslessly, Flate) or the original PDF page (a scan keeps its own image), with an
//! invisible text layer (text render mode 3) whose words sit on their OCR
//! boxes in reading order. Born-digital PDF pages pass through unchanged.
//!
//! Pages read turned come out upright: the page's `/Rotate` becomes its old
//! rotation (or the JPEG's EXIF turn) plus the OCR's, and the text is written
//! in the upright page's coordinates through one `cm` per page.
//!
//! Font: a glyph-less composite font as Tesseract and OCRmyPDF write it
//! (`GlyphLessFont`, Identity-H, each code is the character's UTF-16 unit,
//! a `ToUnicode` map makes them text again, every glyph 0.5 em wide and
//! stretched to its word with `Tz`). Invisible text needs no glyph
//! outlines, so no font program is embedded; every BMP character is covered.

use crate::input::pdf::text::PageGeometry;
use crate::input::{InputDocument, InputOptions, PageContent};
use crate::model::{Document, Page, PageSource};
use folio_core::{ApiError, ErrorCode, FileKind};
use image::{DynamicImage, ImageDecoder, ImageReader};
use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat, dictionary};
use std::io::Cursor;

/// The font's resource name on every page.
const FONT: &str = "FolioOcrText";
/// Glyph advance in font units (1000 per em): `DW` of the font.
const GLYPH_WIDTH: f32 = 500.0;
/// The font's ascent and descent (per 1000): a word's box is its font size
/// tall, the baseline a fifth of it above the box's bottom.
const ASCENT: f32 = 800.0;
const DESCENT: f32 = -200.0;

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::InternalError, format!("searchable PDF: {what}: {e}"))
}

/// The searchable PDF of `document`, read from `file`.
pub fn searchable_pdf(document: &Document, file: &[u8]) -> Result<Vec<u8>, ApiError> {
    let kind = FileKind::detect(file)?;
    let mut out = Vec::new();
    let mut doc = if kind == FileKind::Pdf { overlay_pdf(document, file)? } else { image_pdf(document, file, kind)? };
    doc.compress();
    doc.save_to(&mut out).map_err(|e| internal("writing", e))?;
    Ok(out)
}

/// The glyph-less font (Type0 over a CIDFontType2), shared by every page.
fn add_font(doc: &mut lopdf::Document) -> ObjectId {
    // CIDs are UTF-16 units; `bfrange` source codes may differ in the last byte only.
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    for chunk in (0..256u32).collect::<Vec<_>>().chunks(100) {
        cmap.push_str(&format!("{} beginbfrange\n", chunk.len()));
        for hi in chunk {
            cmap.push_str(&format!("<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>\n"));
        }
        cmap.push_str("endbfrange\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    let to_unicode = doc.add_object(Stream::new(Dictionary::new(), cmap.into_bytes()));
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => "GlyphLessFont",
        "Flags" => 5,
        "FontBBox" => vec![0.into(), (DESCENT as i64).into(), (GLYPH_WIDTH as i64).into(), (ASCENT as i64).into()],
        "ItalicAngle" => 0,
        "Ascent" => ASCENT as i64,
        "Descent" => DESCENT as i64,
        "CapHeight" => ASCENT as i64,
        "StemV" => 80,
    });
    let cid_font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => "GlyphLessFont",
        "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"), "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
        "FontDescriptor" => descriptor,
        "DW" => GLYPH_WIDTH as i64,
        "CIDToGIDMap" => "Identity",
    });
    doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "GlyphLessFont",
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![cid_font.into()],
        "ToUnicode" => to_unicode,
    })
}

/// The affine map (PDF `cm`) from the upright page's points (origin bottom
/// left, `upright` = its width and height) to user space of a page whose
/// visible box is `bbox` shown turned clockwise by `turn` degrees.
fn upright_to_user(bbox: [f32; 4], turn: u32) -> [f32; 6] {
    let [left, bottom, right, top] = bbox;
    let (w, h) = (right - left, top - bottom);
    let (uw, uh) = if turn % 180 == 90 { (h, w) } else { (w, h) };
    let map = |x: f32, y: f32| {
        // Upright, top-left origin, 0..1.
        let (u2, t2) = (x / uw, 1.0 - y / uh);
        // Undo the clockwise turn.
        let (u, t) = match turn {
            90 => (t2, 1.0 - u2),
            180 => (1.0 - u2, 1.0 - t2),
            270 => (1.0 - t2, u2),
            _ => (u2, t2),
        };
        (left + u * w, top - t * h)
    };
    let (e, f) = map(0.0, 0.0);
    let (x1, y1) = map(1.0, 0.0);
    let (x2, y2) = map(0.0, 1.0);
    [x1 - e, y1 - f, x2 - e, y2 - f, e, f]
}

fn reals(v: &[f32]) -> Vec<Object> {
    v.iter().map(|x| Object::Real(*x)).collect()
}

/// The invisible text of one page, in upright points, mapped by `cm` into
/// user space. `upright_pts`: the upright page's size in points.
fn text_layer(page: &Page, upright_pts: (f32, f32), cm: [f32; 6]) -> Vec<Operation> {
    let (uw, uh) = upright_pts;
    let (sx, sy) = (uw / page.width.max(1.0), uh / page.height.max(1.0));
    let mut ops = vec![
        Operation::new("q", vec![]),
        Operation::new("cm", reals(&cm)),
        Operation::new("BT", vec![]),
        Operation::new("Tr", vec![3.into()]),
    ];
    for word in page.lines.iter().flat_map(|l| &l.words) {
        let units: Vec<u16> = word.text.chars().map(|c| if (c as u32) < 0x10000 { c as u32 as u16 } else { 0xFFFD }).collect();
        let (w, h) = (word.bbox.width * sx, word.bbox.height * sy);
        if units.is_empty() || w <= 0.0 || h <= 0.0 {
            continue;
        }
        let size = h / ((ASCENT - DESCENT) / 1000.0);
        let natural = units.len() as f32 * GLYPH_WIDTH / 1000.0 * size;
        let x = word.bbox.left * sx;
        let baseline = uh - word.bbox.bottom() * sy - DESCENT / 1000.0 * size;
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
        ops.push(Operation::new("Tf", vec![Object::Name(FONT.into()), Object::Real(size)]));
        ops.push(Operation::new("Tz", vec![Object::Real(100.0 * w / natural)]));
        ops.push(Operation::new("Tm", reals(&[1.0, 0.0, 0.0, 1.0, x, baseline])));
        ops.push(Operation::new("Tj", vec![Object::String(bytes, StringFormat::Hexadecimal)]));
    }
    ops.push(Operation::new("ET", vec![]));
    ops.push(Operation::new("Q", vec![]));
    ops
}

fn encode(ops: Vec<Operation>) -> Result<Vec<u8>, ApiError> {
    Content { operations: ops }.encode().map_err(|e| internal("content", e))
}

/// The upright page's size in points.
fn upright_points(page: &Page) -> (f32, f32) {
    let dpi = page.dpi.max(1) as f32;
    (page.width * 72.0 / dpi, page.height * 72.0 / dpi)
}

fn ocr_turn(page: &Page) -> u32 {
    page.ocr.as_ref().map_or(0, |r| r.rotation % 360)
}

/// An image to place on a page and the clockwise turn that shows it as the
/// OCR read it (a JPEG's EXIF orientation, when it is embedded as it is).
struct PageImage {
    stream: Stream,
    turn: u32,
}

/// The JPEG's frame: width, height, components.
fn jpeg_frame(bytes: &[u8]) -> Option<(u32, u32, u8)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]) as u32;
            let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]) as u32;
            return Some((w, h, bytes[i + 9]));
        }
        i += 2 + len;
    }
    None
}

/// A JPEG as it is (gray or RGB, EXIF orientation a pure turn), else `None`.
fn jpeg_as_is(bytes: &[u8]) -> Option<PageImage> {
    let (w, h, components) = jpeg_frame(bytes)?;
    let color = match components {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        _ => return None,
    };
    // Mirrored orientations: drawn from decoded pixels instead.
    let turn = exif_turn(bytes, image::ImageFormat::Jpeg)?;
    let dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64,
        "ColorSpace" => color, "BitsPerComponent" => 8, "Filter" => "DCTDecode",
    };
    Some(PageImage { stream: Stream::new(dict, bytes.to_vec()), turn })
}

/// The clockwise turn an EXIF orientation asks for; `None` for mirrored ones.
fn exif_turn(bytes: &[u8], format: image::ImageFormat) -> Option<u32> {
    use image::metadata::Orientation::*;
    let mut d = ImageReader::with_format(Cursor::new(bytes), format).into_decoder().ok()?;
    match d.orientation().unwrap_or(NoTransforms) {
        NoTransforms => Some(0),
        Rotate90 => Some(90),
        Rotate180 => Some(180),
        Rotate270 => Some(270),
        _ => None,
    }
}

/// A PNG's compressed data as it is (as img2pdf does): PDF's FlateDecode
/// with the PNG predictors reads it directly, so nothing is decoded or
/// compressed again. 8-bit gray or RGB, not interlaced; else `None`.
fn png_as_is(bytes: &[u8]) -> Option<PageImage> {
    let mut at = 8;
    let (mut header, mut data) = (None, Vec::new());
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().ok()?) as usize;
        let kind = &bytes[at + 4..at + 8];
        let body = bytes.get(at + 8..at + 8 + len)?;
        match kind {
            b"IHDR" if len >= 13 => header = Some(body.to_vec()),
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let h = header?;
    let (w, ht) = (u32::from_be_bytes(h[0..4].try_into().ok()?), u32::from_be_bytes(h[4..8].try_into().ok()?));
    let (depth, color_type, interlace) = (h[8], h[9], h[12]);
    let (space, colors) = match color_type {
        0 => ("DeviceGray", 1),
        2 => ("DeviceRGB", 3),
        _ => return None, // palette, alpha
    };
    if depth != 8 || interlace != 0 || data.is_empty() {
        return None;
    }
    let turn = exif_turn(bytes, image::ImageFormat::Png)?;
    let dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => ht as i64,
        "ColorSpace" => space, "BitsPerComponent" => 8, "Filter" => "FlateDecode",
        "DecodeParms" => dictionary! { "Predictor" => 15, "Colors" => colors, "BitsPerComponent" => 8, "Columns" => w as i64 },
    };
    Some(PageImage { stream: Stream::new(dict, data), turn })
}

/// Pixels, losslessly (Flate): gray when the image has no colour.
fn pixels(img: DynamicImage) -> PageImage {
    let (w, h) = (img.width(), img.height());
    let (color, data) =
        if img.color().has_color() { ("DeviceRGB", img.into_rgb8().into_raw()) } else { ("DeviceGray", img.into_luma8().into_raw()) };
    let dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64,
        "ColorSpace" => color, "BitsPerComponent" => 8,
    };
    let mut stream = Stream::new(dict, data);
    let _ = stream.compress();
    PageImage { stream, turn: 0 }
}

/// The images of an image upload, one per page: the upload itself for PNG,
/// JPEG and WEBP (orientation applied, colour kept), the decoded gray pages of a TIFF.
fn page_images(document: &Document, file: &[u8], kind: FileKind) -> Result<Vec<PageImage>, ApiError> {
    if kind == FileKind::Jpeg
        && let Some(image) = jpeg_as_is(file)
    {
        return Ok(vec![image]);
    }
    if kind == FileKind::Png
        && let Some(image) = png_as_is(file)
    {
        return Ok(vec![image]);
    }
    if kind == FileKind::Tiff {
        let input = InputDocument::open(file.to_vec(), InputOptions::default())?;
        return (0..document.pages.len())
            .map(|i| match input.page(i)? {
                PageContent::Raster(r) => Ok(pixels(DynamicImage::ImageLuma8(r.image))),
                PageContent::TextLayer(_) => Err(internal("TIFF page", "not a raster")),
            })
            .collect();
    }
    let mut d = ImageReader::new(Cursor::new(file))
        .with_guessed_format()
        .map_err(|e| internal("image", e))?
        .into_decoder()
        .map_err(|e| internal("image", e))?;
    let orientation = d.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(d).map_err(|e| internal("image", e))?;
    img.apply_orientation(orientation);
    Ok(vec![pixels(img)])
}

/// A new PDF with one page per image, each with its text layer.
fn image_pdf(document: &Document, file: &[u8], kind: FileKind) -> Result<lopdf::Document, ApiError> {
    let images = page_images(document, file, kind)?;
    let mut doc = lopdf::Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = add_font(&mut doc);
    let mut kids = Vec::new();
    for (page, image) in document.pages.iter().zip(images) {
        let turn = (image.turn + ocr_turn(page)) % 360;
        let (uw, uh) = upright_points(page);
        // The stored image's box, shown turned by `turn`.
        let (w, h) = if turn % 180 == 90 { (uh, uw) } else { (uw, uh) };
        let bbox = [0.0, 0.0, w, h];
        let image_id = doc.add_object(image.stream);
        let mut ops = vec![
            Operation::new("q", vec![]),
            Operation::new("cm", reals(&[w, 0.0, 0.0, h, 0.0, 0.0])),
            Operation::new("Do", vec![Object::Name(b"Im0".to_vec())]),
            Operation::new("Q", vec![]),
        ];
        ops.extend(text_layer(page, (uw, uh), upright_to_user(bbox, turn)));
        let content = doc.add_object(Stream::new(Dictionary::new(), encode(ops)?));
        let mut page_dict = dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => reals(&bbox),
            "Contents" => content,
            "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image_id }, "Font" => dictionary! { FONT => font } },
        };
        if turn != 0 {
            page_dict.set("Rotate", turn as i64);
        }
        kids.push(Object::Reference(doc.add_object(page_dict)));
    }
    let count = kids.len() as i64;
    doc.objects.insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }));
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    Ok(doc)
}

/// The uploaded PDF with a text layer over each OCR'd page.
fn overlay_pdf(document: &Document, file: &[u8]) -> Result<lopdf::Document, ApiError> {
    let mut doc = lopdf::Document::load_mem(file).map_err(|e| internal("reading the PDF", e))?;
    let page_ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let font = add_font(&mut doc);
    for (page, page_id) in document.pages.iter().zip(page_ids) {
        if page.source != PageSource::Ocr {
            continue; // born-digital: unchanged
        }
        let geometry = PageGeometry::of_page(&doc, page_id);
        let turn = (geometry.rotate + ocr_turn(page)) % 360;
        let [l, b, r, t] = geometry.bbox;
        let upright = if turn % 180 == 90 { (t - b, r - l) } else { (r - l, t - b) };
        let resources = page_resources_with_font(&doc, page_id, font);
        // The page's own content runs inside q/Q so its graphics state cannot shift the text.
        let open = doc.add_object(Stream::new(Dictionary::new(), b"q\n".to_vec()));
        let mut close = b"Q\n".to_vec();
        close.extend(encode(text_layer(page, upright, upright_to_user(geometry.bbox, turn)))?);
        let close = doc.add_object(Stream::new(Dictionary::new(), close));
        let dict = doc.get_object_mut(page_id).and_then(Object::as_dict_mut).map_err(|e| internal("page", e))?;
        let mut contents = vec![Object::Reference(open)];
        match dict.get(b"Contents") {
            Ok(Object::Array(a)) => contents.extend(a.iter().cloned()),
            Ok(o) => contents.push(o.clone()),
            Err(_) => {}
        }
        contents.push(Object::Reference(close));
        dict.set("Contents", contents);
        dict.set("Resources", resources);
        if turn != geometry.rotate {
            dict.set("Rotate", turn as i64);
        }
    }
    Ok(doc)
}

/// The page's effective resources (its own or inherited), copied into the
/// page with the font added: other pages sharing them are not touched.
fn page_resources_with_font(doc: &lopdf::Document, page_id: ObjectId, font: ObjectId) -> Dictionary {
    let (inline, ids) = doc.get_page_resources(page_id).unwrap_or((None, Vec::new()));
    let mut resources = inline.cloned().or_else(|| ids.first().and_then(|id| doc.get_dictionary(*id).ok()).cloned()).unwrap_or_default();
    let mut fonts = match resources.get(b"Font") {
        Ok(Object::Dictionary(d)) => d.clone(),
        Ok(Object::Reference(id)) => doc.get_dictionary(*id).cloned().unwrap_or_default(),
        _ => Dictionary::new(),
    };
    fonts.set(FONT, font);
    resources.set("Font", fonts);
    resources
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: [f32; 6], x: f32, y: f32) -> (f32, f32) {
        let r = |v: f32| (v * 100.0).round() / 100.0;
        (r(m[0] * x + m[2] * y + m[4]), r(m[1] * x + m[3] * y + m[5]))
    }

    #[test]
    fn upright_corners_land_on_the_turned_page() {
        // A 200 x 100 (w x h) user box shown turned 90° clockwise: upright it is 100 wide, 200 tall.
        let bbox = [0.0, 0.0, 200.0, 100.0];
        let m = upright_to_user(bbox, 90);
        // Upright top-left is the user box's bottom-left (turned clockwise, it goes to the top left).
        assert_eq!(apply(m, 0.0, 200.0), (0.0, 0.0));
        // Upright top-right: the user top-left.
        assert_eq!(apply(m, 100.0, 200.0), (0.0, 100.0));
        let m = upright_to_user(bbox, 0);
        assert_eq!(apply(m, 10.0, 20.0), (10.0, 20.0));
        let m = upright_to_user([5.0, 5.0, 205.0, 105.0], 180);
        assert_eq!(apply(m, 0.0, 0.0), (205.0, 105.0));
        let m = upright_to_user(bbox, 270);
        // Upright top-left is the user top-right.
        assert_eq!(apply(m, 0.0, 200.0), (200.0, 100.0));
    }

    #[test]
    fn jpeg_frames_are_read() {
        let mut buf = Vec::new();
        image::DynamicImage::ImageRgb8(image::RgbImage::new(33, 21))
            .write_to(&mut Cursor::new(&mut buf), image::ImageFormat::Jpeg)
            .unwrap();
        assert_eq!(jpeg_frame(&buf), Some((33, 21, 3)));
    }
}
