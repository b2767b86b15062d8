//! The admin API's reference page: every operation by tag with its
//! parameters, body and answers, then every type, drawn from the OpenAPI
//! document the server generates from its handlers (served as JSON too).
//! Server-rendered, no script: it reads like any other admin page.

use super::admin::AdminFrame;
use crate::components::layout::{Alert, Loading};
use crate::models::api_reference::{ApiOperation, ApiReference, ApiSchema, ApiType, OPENAPI_PATH};
use crate::server_fns::admin::load_api_reference;
use leptos::prelude::*;
use leptos_meta::Title;

/// Text with `code` spans, as the document writes them.
fn with_code(text: &str) -> impl IntoView {
    text.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { view! { <code>{part.to_string()}</code> }.into_any() } else { part.to_string().into_any() })
        .collect_view()
}

/// Text with `**strong**` and `code` spans.
fn inline(text: &str) -> impl IntoView {
    text.split("**")
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { view! { <strong>{with_code(part)}</strong> }.into_any() } else { with_code(part).into_any() })
        .collect_view()
}

/// Paragraphs (blank-line separated; single newlines are wrapping).
fn paragraphs(text: &str) -> impl IntoView {
    text.split("\n\n").filter(|p| !p.trim().is_empty()).map(|p| view! { <p>{inline(&p.replace('\n', " "))}</p> }).collect_view()
}

fn schema_anchor(name: &str) -> String {
    format!("schema-{name}")
}

/// A type, linked to its schema when it names one.
fn type_view(t: &ApiType) -> impl IntoView {
    match &t.schema {
        Some(name) => view! { <a href=format!("#{}", schema_anchor(name))><code>{t.text.clone()}</code></a> }.into_any(),
        None => view! { <code>{t.text.clone()}</code> }.into_any(),
    }
}

fn method_class(method: &str) -> &'static str {
    match method {
        "GET" => "api-method api-get",
        "POST" => "api-method api-post",
        "PUT" | "PATCH" => "api-method api-put",
        "DELETE" => "api-method api-delete",
        _ => "api-method",
    }
}

/// GET /admin/api: the admin API reference.
#[component]
pub fn AdminApiPage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| load_api_reference());
    view! {
        <Title text="API reference · Admin"/>
        <AdminFrame current="/admin/api">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match reference.await {
                        Ok(r) => view! { <Reference r/> }.into_any(),
                        Err(e) => view! { <h1>"API reference"</h1><Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn Reference(r: ApiReference) -> impl IntoView {
    let contents = r
        .groups
        .iter()
        .map(|g| {
            let ops = g
                .operations
                .iter()
                .map(|o| view! { <li><a href=format!("#{}", o.anchor)><span class=method_class(&o.method)>{o.method.clone()}</span>" "{o.summary.clone()}</a></li> })
                .collect_view();
            view! { <li><a href=format!("#tag-{}", g.name.replace(' ', "-"))>{g.name.clone()}</a><ul>{ops}</ul></li> }
        })
        .collect_view();
    view! {
        <h1>{r.title.clone()}</h1>
        <p class="lede">{format!("Version {} · OpenAPI {} · ", r.version, r.openapi)}
            <a href=OPENAPI_PATH>"The OpenAPI document (JSON)"</a>" · "<a href="/admin/api-tokens">"API tokens"</a></p>
        <div class="api-intro">{paragraphs(&r.description)}</div>
        <nav class="card api-contents" aria-labelledby="api-contents-heading">
            <h2 id="api-contents-heading">"Contents"</h2>
            <ul>{contents}<li><a href="#schemas">"Types"</a></li></ul>
        </nav>
        {r.groups.into_iter().map(|g| view! {
            <section class="api-group" aria-labelledby=format!("tag-{}", g.name.replace(' ', "-"))>
                <h2 id=format!("tag-{}", g.name.replace(' ', "-"))>{g.name.clone()}</h2>
                <p class="muted">{with_code(&g.description)}</p>
                {g.operations.into_iter().map(|o| view! { <Operation o/> }).collect_view()}
            </section>
        }).collect_view()}
        <section aria-labelledby="schemas">
            <h2 id="schemas">"Types"</h2>
            {r.schemas.into_iter().map(|s| view! { <Schema s/> }).collect_view()}
        </section>
    }
}

#[component]
fn Operation(o: ApiOperation) -> impl IntoView {
    let heading = format!("{}-heading", o.anchor);
    let labelled_by = heading.clone();
    view! {
        <article class="card api-operation" id=o.anchor.clone() aria-labelledby=labelled_by>
            <h3 id=heading>{o.summary.clone()}</h3>
            <p class="api-endpoint"><span class=method_class(&o.method)>{o.method.clone()}</span>" "<code class="wrap">{o.path.clone()}</code></p>
            {paragraphs(&o.description)}
            {(!o.parameters.is_empty()).then(|| view! {
                <table class="data-table">
                    <caption>"Parameters"</caption>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"In"</th><th scope="col">"Type"</th><th scope="col">"Description"</th></tr></thead>
                    <tbody>
                        {o.parameters.into_iter().map(|p| view! {
                            <tr>
                                <td><code>{p.name.clone()}</code>{p.required.then_some(" (required)")}</td>
                                <td>{p.location.clone()}</td>
                                <td>{type_view(&p.kind)}</td>
                                <td>{with_code(&p.description)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {o.request_body.map(|(content_type, t)| view! {
                <p>"Body: "{type_view(&t)}" as "<code>{content_type}</code></p>
            })}
            <table class="data-table">
                <caption>"Answers"</caption>
                <thead><tr><th scope="col">"Status"</th><th scope="col">"Meaning"</th><th scope="col">"Body"</th></tr></thead>
                <tbody>
                    {o.responses.into_iter().map(|r| view! {
                        <tr>
                            <td>{r.status.clone()}</td>
                            <td>{with_code(&r.description)}</td>
                            <td>{r.body.as_ref().map(type_view)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </article>
    }
}

#[component]
fn Schema(s: ApiSchema) -> impl IntoView {
    let heading = format!("{}-heading", schema_anchor(&s.name));
    let labelled_by = heading.clone();
    view! {
        <article class="card api-schema" id=schema_anchor(&s.name) aria-labelledby=labelled_by>
            <h3 id=heading><code>{s.name.clone()}</code></h3>
            {paragraphs(&s.description)}
            {(!s.values.is_empty()).then(|| view! {
                <p>"One of: "{s.values.iter().map(|v| view! { <code>{v.clone()}</code>" " }).collect_view()}</p>
            })}
            {(!s.includes.is_empty()).then(|| view! {
                <p>"Every field of "{s.includes.iter().map(|n| view! {
                    <a href=format!("#{}", schema_anchor(n))><code>{n.clone()}</code></a>" "
                }).collect_view()}", and:"</p>
            })}
            {(!s.properties.is_empty()).then(|| view! {
                <table class="data-table">
                    <caption class="visually-hidden">{format!("Fields of {}", s.name)}</caption>
                    <thead><tr><th scope="col">"Field"</th><th scope="col">"Type"</th><th scope="col">"Description"</th></tr></thead>
                    <tbody>
                        {s.properties.into_iter().map(|p| view! {
                            <tr>
                                <td><code>{p.name.clone()}</code>{(!p.required).then_some(" (optional)")}</td>
                                <td>{type_view(&p.kind)}</td>
                                <td>{with_code(&p.description)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </article>
    }
}
