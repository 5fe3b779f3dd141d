//! The official FHIR code systems of the built-in schemes: where a scheme has one, FHIR output
//! points at it instead of writing a code system of its own, and FHIR input takes a coding's
//! scheme from its `system`. One line per system.

/// Whether a FHIR code system is still to be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FhirStatus {
    /// In use.
    Active,
    /// Retired by its publisher: still read, and flagged.
    Retired,
}

/// A FHIR code system and the built-in scheme whose codes it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FhirSystem {
    /// The built-in scheme.
    pub scheme: &'static str,
    /// The code system's canonical URL (`Coding.system`).
    pub url: &'static str,
    /// Its publisher's status.
    pub status: FhirStatus,
    /// Its version, as published.
    pub version: &'static str,
    /// Where the URL and status were read.
    pub source: &'static str,
}

const UK_CORE: &str = "[official] UK Core R4 CodeSystem resource, NHSDigital/FHIR-R4-UKCORE-STAGING-MAIN codesystems/ at 3d2827e3 (2025-06-20)";

/// Every official system, the first listed for a scheme being the one FHIR output uses.
pub const FHIR_SYSTEMS: &[FhirSystem] = &[
    FhirSystem {
        scheme: "nhs-ethnic-category",
        url: "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland",
        status: FhirStatus::Active,
        version: "1.1.1",
        source: UK_CORE,
    },
    FhirSystem {
        scheme: "nhs-wales-ethnic-category",
        url: "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryWales",
        status: FhirStatus::Active,
        version: "1.1.1",
        source: UK_CORE,
    },
    FhirSystem {
        scheme: "nhs-scotland-ethnic-group",
        url: "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryScotland",
        status: FhirStatus::Retired,
        version: "1.1.1",
        source: UK_CORE,
    },
    FhirSystem {
        scheme: "nhs-ethnic-category-extended",
        url: "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory",
        status: FhirStatus::Retired,
        version: "2.0.0",
        source: UK_CORE,
    },
    FhirSystem {
        scheme: "nhs-ethnic-category-extended",
        url: "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1",
        status: FhirStatus::Retired,
        version: "1.0.0",
        source: "[official] HL7 UK CareConnect STU3 CodeSystem (draft, 2017-08-01), as the scheme's own source cites it; superseded by UK Core",
    },
    FhirSystem {
        scheme: "snomed-ct",
        url: "http://snomed.info/sct",
        status: FhirStatus::Active,
        version: "UK Clinical Edition",
        source: "[official] HL7's URI for SNOMED CT, as NHS England's GP Connect specifications list it",
    },
    FhirSystem {
        scheme: "ctv3",
        url: "http://read.info/ctv3",
        status: FhirStatus::Active,
        version: "CTV3",
        source: "[official] the URI NHS England's GP Connect specifications list for Read codes CTV3",
    },
];

/// The official system FHIR output uses for the built-in scheme `id`, if it has one.
pub fn fhir_system(id: &str) -> Option<&'static FhirSystem> {
    FHIR_SYSTEMS.iter().find(|s| s.scheme == id)
}

/// The official system with this URL (a `Coding.system`), if it is one of a built-in scheme.
pub fn fhir_system_by_url(url: &str) -> Option<&'static FhirSystem> {
    FHIR_SYSTEMS.iter().find(|s| s.url == url.trim())
}
