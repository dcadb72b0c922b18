//! UI pieces shared by the screens: the modal dialog, full-page status pages and icons.

mod icons;
mod modal;
mod status_page;

pub use icons::{CopyIcon, KeyIcon, PlusIcon, SearchIcon};
pub use modal::Modal;
pub use status_page::{Busy, StatusPage};
