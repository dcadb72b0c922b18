//! Entry point of the SPA bundle built by Trunk.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(api_tokens_portal::App);
}
