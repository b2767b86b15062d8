//! The person's own account: name, sign-in name, organisation, tenant ID
//! and role. (Served only to signed-in sessions.)

use crate::auth::AuthView;
use crate::components::layout::{AppHeader, Loading};
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Title text="Your account"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match auth.await {
                    Ok(AuthView::SignedIn(viewer)) => {
                        view! {
                            <AppHeader viewer=viewer.clone()/>
                            <main id="main" class="page">
                                <p><a href="/">"← My Apps"</a></p>
                                <h1>"Your account"</h1>
                                <section class="card profile-card" aria-labelledby="profile-heading">
                                    <h2 id="profile-heading">"Your account"</h2>
                                    <dl class="facts">
                                        <dt>"Name"</dt><dd>{viewer.display_name.clone()}</dd>
                                        <dt>"Sign-in name"</dt><dd>{viewer.upn.clone()}</dd>
                                        <dt>"Organisation"</dt><dd>{viewer.org_name.clone()}</dd>
                                        <dt>"Tenant ID"</dt><dd><code>{viewer.tenant_id.clone()}</code></dd>
                                        <dt>"Role"</dt><dd>{viewer.role.label()}</dd>
                                    </dl>
                                </section>
                            </main>
                        }.into_any()
                    }
                    _ => view! {
                        <main id="main" class="page">
                            <h1>"You're signed out"</h1>
                            <p><a class="button" href="/sign-in" rel="external">"Sign in"</a></p>
                        </main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
