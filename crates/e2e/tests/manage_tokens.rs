//! Who sees and may use which API token, end to end: a full admin filters and revokes another
//! user's token, tenants are kept apart, a deprovisioned user's token stays listed and is
//! refused. Screenshots per step under `E2E_ARTIFACTS/<scenario>/`.

use e2e::CONTOSO;
use e2e::token_api::list_alerts;
use e2e::tokens_screen::{cell, generate_and_close, open_as, revoke, row, start_as, wait_loaded};

const DEPROVISIONED_OID: &str = "c0000000-0000-4000-8000-000000000009";

#[tokio::test]
async fn a_full_admin_filters_and_revokes_a_readers_token() {
    let (stack, mut reader) = start_as("reader@contoso.test", "tokens-3-reader").await;
    let reader_value = generate_and_close(&mut reader, "reader script").await;
    assert_eq!(list_alerts(&stack, &reader_value).await.0, 200);

    let mut admin = open_as(&stack, "admin@contoso.test", "tokens-3-admin").await;
    let admin_value = generate_and_close(&mut admin, "admin automation").await;
    admin.client.refresh().await.unwrap();
    wait_loaded(&admin).await;
    admin.wait_for(&row("reader script")).await;
    admin.wait_for(&row("admin automation")).await;
    assert!(
        cell(&admin, "reader script", "token-owner")
            .await
            .contains("Rita Reyes")
    );
    assert!(
        cell(&admin, "admin automation", "token-owner")
            .await
            .contains("(you)")
    );
    admin.wait_for_text("[data-testid=count-all]", "2").await;
    admin.wait_for_text("[data-testid=count-active]", "1").await;
    admin
        .wait_for_text("[data-testid=count-generated]", "1")
        .await;
    admin.screenshot("both-tokens").await;

    // Status filter.
    admin.click("[data-testid=status-filter-active]").await;
    admin
        .wait_gone("the Active filter", &row("admin automation"))
        .await;
    admin.wait_for(&row("reader script")).await;
    admin.screenshot("status-active").await;
    admin.click("[data-testid=status-filter-all]").await;
    admin.wait_for(&row("admin automation")).await;

    // Owner filter.
    let owner = admin.wait_for("[data-testid=owner-filter]").await;
    owner.select_by_label("Rita Reyes").await.unwrap();
    admin
        .wait_gone("the owner filter", &row("admin automation"))
        .await;
    admin.wait_for(&row("reader script")).await;
    admin.screenshot("owner-reader").await;

    // Revoke the reader's token.
    let dialog = revoke(&mut admin, "reader script").await;
    assert!(dialog.contains("fail"), "{dialog}");
    admin.screenshot("revoked").await;

    reader.client.refresh().await.unwrap();
    wait_loaded(&reader).await;
    assert!(
        !reader.exists(&row("reader script")).await,
        "the reader no longer sees it"
    );
    reader.screenshot("reader-after-revoke").await;
    assert_eq!(
        list_alerts(&stack, &reader_value).await.0,
        401,
        "a revoked value is refused"
    );
    assert_eq!(list_alerts(&stack, &admin_value).await.0, 200);
    admin.close().await;
    reader.close().await;
}

#[tokio::test]
async fn another_tenant_sees_none_of_the_first_tenants_tokens() {
    let (stack, mut admin) = start_as("admin@contoso.test", "tokens-4-contoso").await;
    generate_and_close(&mut admin, "contoso only").await;
    admin.screenshot("contoso-token").await;

    let mut other = open_as(&stack, "admin@fabrikam.test", "tokens-4-fabrikam").await;
    other.wait_for("[data-testid=empty-state]").await;
    assert!(!other.exists(&row("contoso only")).await);
    other.wait_for_text("[data-testid=count-all]", "0").await;
    other.screenshot("fabrikam-empty").await;
    admin.close().await;
    other.close().await;
}

#[tokio::test]
async fn a_deprovisioned_users_token_stays_listed_and_is_refused() {
    let (stack, mut user) = start_as("deprovisioned@contoso.test", "tokens-5-user").await;
    let value = generate_and_close(&mut user, "leaver job").await;
    user.screenshot("before-deprovisioning").await;
    user.close().await;

    let out = stack
        .token_api(&[
            "users",
            "deprovision",
            "--tenant",
            CONTOSO,
            "--user",
            DEPROVISIONED_OID,
        ])
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut admin = open_as(&stack, "admin@contoso.test", "tokens-5-admin").await;
    admin.wait_for(&row("leaver job")).await;
    assert!(
        cell(&admin, "leaver job", "token-owner")
            .await
            .contains("Debra Berger")
    );
    admin.screenshot("still-listed").await;
    let (status, body) = list_alerts(&stack, &value).await;
    assert_eq!(status, 403, "{body}");
    admin.close().await;
}
