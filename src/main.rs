//! Entry point of the SPA bundle built by Trunk.

fn main() {
    // Panic messages in the console while developing; the release bundle goes without them.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(api_tokens_portal::App);
}
