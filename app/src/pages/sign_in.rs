//! The sign-in steps: password, second factor (verify or enrol), and the
//! password change an expired password requires. Each is a plain HTML form
//! that posts to the server's `/auth/...` handlers, so it works before (and
//! without) the WebAssembly bundle; the handlers redirect back here with a
//! fixed error code when something is wrong.

use crate::auth::{sign_in_message, AuthView};
use crate::components::layout::{token_of, Alert, AuthCard, CsrfField, Loading};
use crate::domain::model::ReturnTo;
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The error and notice named in the query string, as fixed texts.
fn messages() -> impl IntoView {
    let query = use_query_map();
    move || {
        let q = query.read();
        let error = q.get("error").and_then(|c| sign_in_message(&c)).map(|m| view! { <Alert message=m error=true/> });
        let notice = q.get("notice").and_then(|c| sign_in_message(&c)).map(|m| view! { <Alert message=m/> });
        (error, notice)
    }
}

/// The safe local path to continue to, carried through every step.
fn return_to() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| ReturnTo::parse_or_home(query.read().get("return_to").as_deref()).as_str().to_string())
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    let query = use_query_map();
    let upn = move || query.read().get("upn").unwrap_or_default();
    let return_to = return_to();
    view! {
        <Title text="Sign in"/>
        <AuthCard title="Sign in">
            <p class="lead">"Use your work account to reach all of your apps."</p>
            {messages()}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let auth = auth.await;
                    view! {
                        <form method="post" action="/auth/sign-in" class="stack">
                            <CsrfField token=token_of(&auth)/>
                            <input type="hidden" name="return_to" value=return_to.get()/>
                            <div class="field">
                                <label for="upn">"Sign-in name"</label>
                                <input id="upn" name="upn" type="email" autocomplete="username" required
                                    placeholder="name@company.example" value=upn() autofocus=upn().is_empty()/>
                            </div>
                            <div class="field">
                                <label for="password">"Password"</label>
                                <input id="password" name="password" type="password" autocomplete="current-password"
                                    required autofocus=!upn().is_empty()/>
                            </div>
                            <button type="submit" class="button button-primary">"Sign in"</button>
                        </form>
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
pub fn MfaVerifyPage() -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    let return_to = return_to();
    view! {
        <Title text="Enter your code"/>
        <AuthCard title="Enter your code">
            <p class="lead">"Open your authenticator app and enter the 6-digit code it shows for My Apps."</p>
            {messages()}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let auth = auth.await;
                    let upn = match &auth { Ok(AuthView::Pending { upn, .. }) => upn.clone(), _ => String::new() };
                    view! {
                        <p class="muted">{upn}</p>
                        <form method="post" action="/auth/mfa/verify" class="stack">
                            <CsrfField token=token_of(&auth)/>
                            <input type="hidden" name="return_to" value=return_to.get()/>
                            <CodeField/>
                            <button type="submit" class="button button-primary">"Verify"</button>
                        </form>
                        <SignOutLink token=token_of(&auth)/>
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
pub fn MfaEnrolPage() -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    let return_to = return_to();
    view! {
        <Title text="Set up your authenticator"/>
        <AuthCard title="Set up your authenticator">
            <p class="lead">"Your organisation requires a second step at sign-in. Set it up once now."</p>
            {messages()}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let auth = auth.await;
                    let secret = match &auth {
                        Ok(AuthView::Pending { enrolment_secret: Some(s), .. }) => grouped(s),
                        _ => String::new(),
                    };
                    view! {
                        <ol class="steps">
                            <li>"Install an authenticator app (for example Microsoft Authenticator, Google Authenticator or 1Password) on your phone."</li>
                            <li>
                                "Scan this QR code with it:"
                                <img class="qr" src="/auth/mfa/enrol/qr.svg" width="200" height="200"
                                    alt="QR code that adds My Apps to your authenticator app"/>
                                <span class="muted">"Can't scan? Enter this key instead: "</span>
                                <code class="secret" data-testid="totp-secret">{secret}</code>
                            </li>
                            <li>"Enter the 6-digit code the app now shows."</li>
                        </ol>
                        <form method="post" action="/auth/mfa/enrol" class="stack">
                            <CsrfField token=token_of(&auth)/>
                            <input type="hidden" name="return_to" value=return_to.get()/>
                            <CodeField/>
                            <button type="submit" class="button button-primary">"Finish set-up"</button>
                        </form>
                        <SignOutLink token=token_of(&auth)/>
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    let return_to = return_to();
    view! {
        <Title text="Choose a new password"/>
        <AuthCard title="Choose a new password">
            <p class="lead">"Your password has expired. Choose a new one to continue."</p>
            {messages()}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let auth = auth.await;
                    view! {
                        <form method="post" action="/auth/change-password" class="stack">
                            <CsrfField token=token_of(&auth)/>
                            <input type="hidden" name="return_to" value=return_to.get()/>
                            <div class="field">
                                <label for="new_password">"New password"</label>
                                <input id="new_password" name="new_password" type="password" autocomplete="new-password"
                                    required minlength="12" maxlength="128" aria-describedby="password-hint" autofocus=true/>
                                <p id="password-hint" class="hint">"At least 12 characters. A few unrelated words make a strong, memorable password."</p>
                            </div>
                            <div class="field">
                                <label for="confirm_password">"Confirm new password"</label>
                                <input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password"
                                    required minlength="12" maxlength="128"/>
                            </div>
                            <button type="submit" class="button button-primary">"Change password"</button>
                        </form>
                        <SignOutLink token=token_of(&auth)/>
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

/// The 6-digit code input, shaped for authenticator codes and autofill.
#[component]
fn CodeField() -> impl IntoView {
    view! {
        <div class="field">
            <label for="code">"Code"</label>
            <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                pattern="[0-9 ]{6,7}" maxlength="7" required autofocus=true class="code-input"/>
        </div>
    }
}

/// A way out of a half-finished sign-in.
#[component]
fn SignOutLink(token: String) -> impl IntoView {
    view! {
        <form method="post" action="/auth/sign-out" class="inline-form cancel-form">
            <CsrfField token=token/>
            <button type="submit" class="link-button">"Cancel and sign out"</button>
        </form>
    }
}

/// A base32 secret in groups of four, easier to type.
fn grouped(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// "Sign out of My Apps?": an app asked to sign the person out (OpenID
/// Connect RP-Initiated Logout) without proving it was for them (no valid
/// `id_token_hint` for this session), so the person confirms first; a link
/// alone never ends a session.
#[component]
pub fn SignOutConfirmPage() -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    let query = use_query_map();
    let kept = move |name: &str| query.read().get(name).unwrap_or_default();
    view! {
        <Title text="Sign out?"/>
        <AuthCard title="Sign out of My Apps?">
            <p>"An app asked to sign you out of My Apps. You'll be signed out of the portal; apps you opened may keep you signed in until you sign out of them too."</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    view! {
                        <form method="post" action="/oauth/logout" class="stack">
                            <CsrfField token=token/>
                            <input type="hidden" name="confirmed" value="1"/>
                            <input type="hidden" name="client_id" value=kept("client_id")/>
                            <input type="hidden" name="post_logout_redirect_uri" value=kept("post_logout_redirect_uri")/>
                            <input type="hidden" name="state" value=kept("state")/>
                            <button type="submit" class="button button-primary">"Sign out"</button>
                            <a class="button" href="/" rel="external">"Stay signed in"</a>
                        </form>
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}
