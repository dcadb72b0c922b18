//! Every limit and default of the contract, by name.
//!
//! The server enforces these and uses them as defaults of its settings; the SPA and the test
//! fakes read them instead of repeating the numbers.

/// Tokens per page when `limit` is not given.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The largest `limit` a listing accepts.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The longest token name, in characters (after trimming).
pub const NAME_MAX_CHARS: usize = 64;

/// The longest `q` (name search) of `GET /api/v1/tokens`, in characters.
pub const SEARCH_MAX_CHARS: usize = 256;

/// The largest request body the API reads; larger bodies answer 413.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024;

/// Token-authenticated calls per tenant per minute, unless configured otherwise.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 30;

/// Where `portal_url_template` puts the tenant id.
pub const TENANT_PLACEHOLDER: &str = "{tenant}";

/// The tenant portal URL template, unless configured otherwise.
pub const DEFAULT_PORTAL_URL_TEMPLATE: &str = "https://{tenant}.portal.example.net";

/// The portal URL of `tenant_id`: `template` with every [`TENANT_PLACEHOLDER`] replaced.
pub fn portal_url(template: &str, tenant_id: &str) -> String {
    template.replace(TENANT_PLACEHOLDER, tenant_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_url_names_the_tenant() {
        assert_eq!(
            portal_url(DEFAULT_PORTAL_URL_TEMPLATE, "contoso"),
            "https://contoso.portal.example.net"
        );
        assert_eq!(
            portal_url("https://{tenant}.eu.example.net/{tenant}", "t1"),
            "https://t1.eu.example.net/t1"
        );
        assert_eq!(
            portal_url("https://fixed.example.net", "t1"),
            "https://fixed.example.net"
        );
    }
}
