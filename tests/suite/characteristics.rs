//! The classifications of characteristics other than ethnicity (schema/characteristics/): every
//! shipped file reads and checks, names its source, and a broken file is refused with its place.

use wm_ethnicity::{BUILTIN_CLASSIFICATIONS, Characteristic, Classifications};

#[test]
fn every_shipped_classification_reads_and_names_its_source() {
    let classes = Classifications::builtin();
    assert_eq!(classes.all().len(), BUILTIN_CLASSIFICATIONS.len());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/characteristics");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = BUILTIN_CLASSIFICATIONS
        .iter()
        .map(|(f, _)| (*f).to_owned())
        .collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every file in schema/characteristics/ is listed in BUILTIN"
    );
    for c in classes.all() {
        assert!(c.source.starts_with("https://"), "{}: source", c.id);
        assert!(!c.codes.is_empty(), "{}", c.id);
    }
    for k in [
        Characteristic::Sex,
        Characteristic::Age,
        Characteristic::Religion,
        Characteristic::Disability,
    ] {
        assert!(
            classes
                .all()
                .iter()
                .any(|c| c.characteristic == k && c.maps_to.is_none()),
            "no standard for {k}"
        );
    }
}

#[test]
fn broken_classifications_are_refused() {
    let mut classes = Classifications::builtin().clone();
    let cases = [
        (
            "id: x\ncharacteristic: sex\nmaps_to: census-2021-sex\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: A, label: A, value: woman}\n",
            "not a code of census-2021-sex",
        ),
        (
            "id: y\ncharacteristic: sex\nmaps_to: census-2021-religion\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: A, label: A, value: christian}\n",
            "religion standard",
        ),
        (
            "id: z\ncharacteristic: age\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: a, label: a, from: 0, to: 4}\n  - {code: b, label: b, from: 6}\n",
            "starts at 6, not 5",
        ),
        (
            "id: census-2021-sex\ncharacteristic: sex\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: a, label: a}\n",
            "already defined",
        ),
        (
            "id: w\ncharacteristic: sex\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: a, label: a}\n  - {code: a, label: b}\n",
            "listed twice",
        ),
    ];
    for (text, want) in cases {
        let e = classes
            .add_yaml(text, "local.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains(want) && e.contains("local.yaml"), "{e}");
    }
}
