//! Writes small `.xlsx` workbooks for tests: the sheets, their rows at the row numbers given (a
//! row left out is a row Excel shows empty), inline strings, and empty cells that carry only a
//! style (what formatting leaves in a sheet). Stored without compression, as minimal OOXML.

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
