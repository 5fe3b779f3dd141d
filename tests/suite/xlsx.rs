//! Writes small workbooks for tests, `.xlsx` and `.ods`: the sheets, their rows at the row numbers
//! given (a row left out is a row a spreadsheet shows empty), text cells, and (in `.xlsx`) empty
//! cells that carry only a style (what formatting leaves in a sheet). Stored without
//! compression, as minimal OOXML or `OpenDocument`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// A cell: `None` writes no cell, `Some("")` an empty cell with only a style, `Some(text)` text.
pub type Cell<'a> = Option<&'a str>;

/// One sheet: its name and its rows, each a 1-based row number and its cells from column A.
pub type Sheet<'a> = (&'a str, &'a [(u32, &'a [Cell<'a>])]);

fn column(i: usize) -> String {
    let mut name = String::new();
    let mut n = i + 1;
    while n > 0 {
        let d = u8::try_from((n - 1) % 26).unwrap();
        name.insert(0, char::from(b'A' + d));
        n = (n - 1) / 26;
    }
    name
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn sheet_xml(rows: &[(u32, &[Cell<'_>])]) -> String {
    let mut out = String::new();
    for (r, cells) in rows {
        write!(out, "<row r=\"{r}\">").unwrap();
        for (i, cell) in cells.iter().enumerate() {
            let at = format!("{}{r}", column(i));
            match cell {
                None => {}
                Some("") => write!(out, "<c r=\"{at}\" s=\"1\"/>").unwrap(),
                Some(text) => write!(
                    out,
                    "<c r=\"{at}\" t=\"inlineStr\"><is><t>{}</t></is></c>",
                    escape(text)
                )
                .unwrap(),
            }
        }
        out.push_str("</row>");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <sheetData>{out}</sheetData></worksheet>"
    )
}

/// Writes a workbook of `sheets` to `path`.
pub fn write_xlsx(path: &Path, sheets: &[Sheet<'_>]) {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const PKG: &str = "http://schemas.openxmlformats.org/package/2006";
    const CT: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    let mut types = String::new();
    let mut list = String::new();
    let mut rels = String::new();
    for (i, (name, _)) in sheets.iter().enumerate() {
        let n = i + 1;
        write!(
            types,
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" \
             ContentType=\"{CT}.worksheet+xml\"/>"
        )
        .unwrap();
        write!(
            list,
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            escape(name)
        )
        .unwrap();
        write!(
            rels,
            "<Relationship Id=\"rId{n}\" Type=\"{REL}/worksheet\" \
             Target=\"worksheets/sheet{n}.xml\"/>"
        )
        .unwrap();
    }
    let styles_id = sheets.len() + 1;
    let mut files = vec![
        (
            "[Content_Types].xml".to_owned(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                 <Types xmlns=\"{PKG}/content-types\">\
                 <Default Extension=\"rels\" \
                 ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
                 <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
                 <Override PartName=\"/xl/workbook.xml\" ContentType=\"{CT}.sheet.main+xml\"/>\
                 <Override PartName=\"/xl/styles.xml\" ContentType=\"{CT}.styles+xml\"/>{types}</Types>"
            ),
        ),
        (
            "_rels/.rels".to_owned(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                 <Relationships xmlns=\"{PKG}/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"xl/workbook.xml\"/>\
                 </Relationships>"
            ),
        ),
        (
            "xl/workbook.xml".to_owned(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                 <workbook xmlns=\"{MAIN}\" xmlns:r=\"{REL}\"><sheets>{list}</sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_owned(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                 <Relationships xmlns=\"{PKG}/relationships\">{rels}\
                 <Relationship Id=\"rId{styles_id}\" Type=\"{REL}/styles\" Target=\"styles.xml\"/>\
                 </Relationships>"
            ),
        ),
        (
            "xl/styles.xml".to_owned(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                 <styleSheet xmlns=\"{MAIN}\"><fonts count=\"1\"><font/></fonts>\
                 <fills count=\"1\"><fill/></fills><borders count=\"1\"><border/></borders>\
                 <cellStyleXfs count=\"1\"><xf/></cellStyleXfs>\
                 <cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"0\" fillId=\"0\"/></cellXfs>\
                 </styleSheet>"
            ),
        ),
    ];
    for (i, (_, rows)) in sheets.iter().enumerate() {
        files.push((format!("xl/worksheets/sheet{}.xml", i + 1), sheet_xml(rows)));
    }
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in files {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

/// Writes an `OpenDocument` spreadsheet of `sheets` to `path` (rows left out are written empty,
/// as the format has no row numbers; a styled empty cell is an empty cell).
pub fn write_ods(path: &Path, sheets: &[Sheet<'_>]) {
    const OFFICE: &str = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
    const TABLE: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
    const TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
    let mut body = String::new();
    for (name, rows) in sheets {
        write!(body, "<table:table table:name=\"{}\">", escape(name)).unwrap();
        let mut next = 1;
        for (r, cells) in *rows {
            while next < *r {
                body.push_str("<table:table-row><table:table-cell/></table:table-row>");
                next += 1;
            }
            body.push_str("<table:table-row>");
            for cell in *cells {
                match cell {
                    None | Some("") => body.push_str("<table:table-cell/>"),
                    Some(text) => write!(
                        body,
                        "<table:table-cell office:value-type=\"string\"><text:p>{}</text:p>\
                         </table:table-cell>",
                        escape(text)
                    )
                    .unwrap(),
                }
            }
            body.push_str("</table:table-row>");
            next += 1;
        }
        body.push_str("</table:table>");
    }
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <office:document-content xmlns:office=\"{OFFICE}\" xmlns:table=\"{TABLE}\" \
         xmlns:text=\"{TEXT}\" office:version=\"1.2\"><office:body><office:spreadsheet>\
         {body}</office:spreadsheet></office:body></office:document-content>"
    );
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" \
        manifest:version=\"1.2\">\
        <manifest:file-entry manifest:full-path=\"/\" \
        manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
        <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
        </manifest:manifest>";
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in [
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", manifest),
        ("content.xml", content.as_str()),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

/// The rows of sheet `sheet` of the workbook at `path`, read back as the crate reads workbooks
/// (calamine): the header, then each row's cells as text.
pub fn read_sheet(path: &Path, sheet: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let opts = wm_ethnicity::ReadOptions {
        sheet: Some(sheet.into()),
        ..Default::default()
    };
    let table = wm_ethnicity::Table::open(path, &opts).unwrap();
    let header = table.header().to_vec();
    let mut rows = Vec::new();
    table
        .try_for_each(|rec| {
            rows.push(
                (0..rec.len())
                    .map(|i| rec.text(i).unwrap_or_default().into_owned())
                    .collect::<Vec<String>>(),
            );
            Ok::<(), wm_ethnicity::Error>(())
        })
        .unwrap();
    (header, rows)
}
