//! Component tests of the SPA, run one after another in one headless Chromium page by
//! wasm-bindgen-test (`cargo xtask test wasm`). One test binary: the support code is shared
//! by every test, and the bundle is built and loaded once.

mod api;
mod early;
mod frame;
mod sign_in;
mod support;
mod tokens;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
