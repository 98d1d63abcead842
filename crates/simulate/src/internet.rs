//! The outside world the operator talks to: the cloud services its staff use,
//! its offsite backup provider, its SIP trunk, and patients on the internet.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A named external endpoint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint {
    pub name: &'static str,
    pub ip: &'static str,
}

/// Cloud services the staff's software talks to all day.
pub(crate) const CLOUD: &[Endpoint] = &[
    Endpoint {
        name: "outlook.office365.com",
        ip: "52.97.146.178",
    },
    Endpoint {
        name: "login.microsoftonline.com",
        ip: "20.190.159.2",
    },
    Endpoint {
        name: "teams.microsoft.com",
        ip: "52.113.194.132",
    },
    Endpoint {
        name: "clinic.sharepoint.com",
        ip: "13.107.136.10",
    },
    Endpoint {
        name: "www.bing.com",
        ip: "13.107.21.200",
    },
    Endpoint {
        name: "ocsp.digicert.com",
        ip: "93.184.220.29",
    },
    Endpoint {
        name: "compendium.medinfo.example",
        ip: "185.87.108.12",
    },
];

/// Where Windows Update and Defender fetch updates.
pub(crate) const UPDATES: Endpoint = Endpoint {
    name: "download.windowsupdate.com",
    ip: "13.107.4.50",
};

/// The offsite backup provider's object storage: tens of gigabytes every night.
pub(crate) const BACKUP_CLOUD: Endpoint = Endpoint {
    name: "objects.eu1.safevault.example",
    ip: "185.48.80.20",
};

/// The telephony provider's SIP trunk.
pub(crate) const SIP_TRUNK: Endpoint = Endpoint {
    name: "sip.trunk.voicecarrier.example",
    ip: "212.25.7.40",
};

/// A patient's address somewhere on the internet (residential and mobile ranges).
pub(crate) fn patient_ip(rng: &mut ChaCha8Rng) -> String {
    const FIRST: &[u8] = &[77, 78, 83, 85, 89, 91, 92, 178, 188, 194, 213];
    let first = FIRST[rng.random_range(0..FIRST.len())];
    format!(
        "{first}.{}.{}.{}",
        rng.random_range(0..256u32),
        rng.random_range(0..256u32),
        rng.random_range(1..255u32)
    )
}
