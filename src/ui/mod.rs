//! UI pieces shared by the screens: the modal dialog, its busy button and error banner,
//! full-page status pages and icons.

mod busy_button;
mod error_banner;
mod icons;
mod modal;
mod status_page;

pub use busy_button::BusyButton;
pub use error_banner::ErrorBanner;
pub use icons::{CopyIcon, KeyIcon, PlusIcon, SearchIcon};
pub use modal::Modal;
pub use status_page::{Busy, StatusPage};
