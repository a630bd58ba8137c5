//! One desk for unit tests: fresh device keys, an in-memory store and the configuration of an
//! office registered at `hub_url`.

use std::path::Path;

use tsunagu_seal::DeviceSecretKeys;
use tsunagu_standard::OfficeId;

use crate::folder::{DataDir, OfficeConfig};
use crate::{Desk, HubClient, Store};

/// A registered desk for `office_id` in `dir`, and its device keys.
pub(crate) async fn registered_desk(
    dir: &Path,
    hub_url: &str,
    office_id: OfficeId,
) -> (Desk, DeviceSecretKeys) {
    let keys = DeviceSecretKeys::generate(time::OffsetDateTime::now_utc()).unwrap();
    let config = OfficeConfig {
        hub_url: hub_url.into(),
        office_id,
        office_name: "つなぐ居宅".into(),
        municipality_code: "312029".into(),
        device_id: "dev_1".into(),
        device_name: "事務所PC".into(),
        key_id: keys.key_id().to_string(),
        fingerprint: keys.public().fingerprint().short(),
        registered_at: 1,
    };
    let desk = Desk {
        dir: DataDir::new(dir),
        client: HubClient::new(hub_url, Some("tsu_test".into())).unwrap(),
        config,
        store: Store::in_memory().await.unwrap(),
    };
    (desk, keys)
}
