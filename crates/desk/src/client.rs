//! The hub's HTTP client: one method per endpoint of docs/api.md, typed by tsunagu-protocol.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use tsunagu_protocol::{
    DeviceInfo, EnvelopeDetail, EnvelopePage, EnvelopeSummary, ErrorBody, ErrorCode, KeyDirectory,
    MeResponse, PartnerReport, PartnerReportResponse, PostReceiptRequest, ROUTING_HEADER,
    ReceiptResponse, RegisterDeviceRequest, RegisterDeviceResponse, RoutingMetadata,
    SendEnvelopeResponse, SignedReceipt, routes,
};
use tsunagu_standard::OfficeId;

use crate::error::{DeskError, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Long enough for a 16 MiB envelope on a slow office line.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
const PAGE_LIMIT: u32 = 500;

/// A client of one hub, with or without a device token.
#[derive(Clone)]
pub struct HubClient {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Checks and normalizes a hub URL (`http(s)://host[:port][/prefix]`, no trailing slash).
pub fn normalize_hub_url(url: &str) -> Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let parsed =
        reqwest::Url::parse(trimmed).map_err(|_| DeskError::HubUrlInvalid(url.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(DeskError::HubUrlInvalid(url.to_string()));
    }
    Ok(trimmed.to_string())
}

impl HubClient {
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self> {
        let base = normalize_hub_url(base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("tsunagu-desk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DeskError::HubUnreachable {
                url: base.clone(),
                detail: e.to_string(),
            })?;
        Ok(Self { base, http, token })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    async fn send(&self, rb: RequestBuilder) -> Result<Response> {
        let response = rb.send().await.map_err(|e| self.unreachable(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(b) => DeskError::Hub {
                code: b.code,
                message: b.message,
            },
            Err(_) => DeskError::HubResponse(format!("HTTP {status}")),
        })
    }

    fn unreachable(&self, e: &reqwest::Error) -> DeskError {
        // reqwest's Display includes the URL (ours, no secrets) and the cause chain.
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        DeskError::HubUnreachable {
            url: self.base.clone(),
            detail,
        }
    }

    async fn json<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T> {
        let response = self.send(rb).await?;
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| DeskError::HubResponse(e.to_string()))
    }

    pub async fn register(&self, req: &RegisterDeviceRequest) -> Result<RegisterDeviceResponse> {
        self.json(self.request(Method::POST, routes::REGISTER).json(req))
            .await
    }

    pub async fn me(&self) -> Result<MeResponse> {
        self.json(self.request(Method::GET, routes::ME)).await
    }

    /// An office's active devices; `None` when the office is not on this hub.
    pub async fn office_keys(&self, office: &OfficeId) -> Result<Option<KeyDirectory>> {
        let path = routes::fill(routes::OFFICE_KEYS, &office.to_string());
        match self.json(self.request(Method::GET, &path)).await {
            Ok(d) => Ok(Some(d)),
            Err(DeskError::Hub {
                code: ErrorCode::OfficeUnknown,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Uploads an envelope (idempotent on the hub per sender, recipient and unit id).
    pub async fn send_envelope(
        &self,
        routing: &RoutingMetadata,
        ciphertext: Vec<u8>,
    ) -> Result<SendEnvelopeResponse> {
        let header = tsunagu_protocol::encode_routing_header(routing)
            .map_err(|e| DeskError::HubResponse(e.to_string()))?;
        let rb = self
            .request(Method::PUT, routes::ENVELOPES)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(ROUTING_HEADER, header)
            .body(ciphertext);
        self.json(rb).await
    }

    async fn all_pages(&self, route: &str) -> Result<Vec<EnvelopeSummary>> {
        let mut out = Vec::new();
        let mut after = 0i64;
        loop {
            let path = format!("{route}?after={after}&limit={PAGE_LIMIT}");
            let page: EnvelopePage = self.json(self.request(Method::GET, &path)).await?;
            out.extend(page.items);
            match page.next_after {
                Some(next) if next > after => after = next,
                _ => return Ok(out),
            }
        }
    }

    /// Every envelope waiting for my office (no final receipt yet), oldest first.
    pub async fn inbox(&self) -> Result<Vec<EnvelopeSummary>> {
        self.all_pages(routes::INBOX).await
    }

    /// Every envelope my office sent, with status.
    pub async fn outbox(&self) -> Result<Vec<EnvelopeSummary>> {
        self.all_pages(routes::OUTBOX).await
    }

    pub async fn envelope(&self, envelope_id: &str) -> Result<EnvelopeDetail> {
        let path = routes::fill(routes::ENVELOPE, envelope_id);
        self.json(self.request(Method::GET, &path)).await
    }

    /// The ciphertext and the routing metadata the hub sent with it.
    pub async fn download(&self, envelope_id: &str) -> Result<(Vec<u8>, Option<RoutingMetadata>)> {
        let path = routes::fill(routes::CIPHERTEXT, envelope_id);
        let response = self.send(self.request(Method::GET, &path)).await?;
        let routing = response
            .headers()
            .get(ROUTING_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| tsunagu_protocol::decode_routing_header(v).ok())
            .map(|(r, _)| r);
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        Ok((bytes.to_vec(), routing))
    }

    pub async fn post_receipt(
        &self,
        envelope_id: &str,
        receipt: &SignedReceipt,
    ) -> Result<ReceiptResponse> {
        let path = routes::fill(routes::RECEIPTS, envelope_id);
        let body = PostReceiptRequest {
            receipt: receipt.clone(),
        };
        self.json(self.request(Method::POST, &path).json(&body))
            .await
    }

    /// Replaces my office's partner report on the hub (office numbers only; an empty list
    /// withdraws it).
    pub async fn report_partners(&self, report: &PartnerReport) -> Result<PartnerReportResponse> {
        self.json(self.request(Method::PUT, routes::PARTNERS).json(report))
            .await
    }

    pub async fn revoke_device(&self, device_id: &str) -> Result<DeviceInfo> {
        let path = routes::fill(routes::REVOKE_DEVICE, device_id);
        self.json(self.request(Method::POST, &path)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_urls_are_normalized_or_refused() {
        assert_eq!(
            normalize_hub_url(" http://127.0.0.1:8740/ ").unwrap(),
            "http://127.0.0.1:8740"
        );
        assert_eq!(
            normalize_hub_url("https://hub.example/tsunagu").unwrap(),
            "https://hub.example/tsunagu"
        );
        for bad in ["", "127.0.0.1:8740", "ftp://x", "http://"] {
            assert_eq!(
                normalize_hub_url(bad).unwrap_err().code(),
                "E-DESK-012",
                "{bad}"
            );
        }
    }
}
