//! How the manifest learns what a run did: each delivery read, each file gone, and the stored
//! files no manifest names any more.

use super::*;

/// Notes the deliveries whose file is gone from the listing: their rows are kept, or dropped
/// under `removed: drop`. Whether that changed the manifest.
pub(super) fn mark_removed(
    source: &Source,
    manifest: &mut SourceManifest,
    found: &[locate::Found],
    now: &str,
) -> bool {
    if !matches!(source.locator, crate::config::Locator::Listing { .. }) {
        return false;
    }
    let present: std::collections::HashSet<&str> = found.iter().map(|f| f.key.as_str()).collect();
    if source.drop_removed {
        let before = manifest.deliveries.len();
        manifest
            .deliveries
            .retain(|d| present.contains(d.key.as_str()));
        return manifest.deliveries.len() != before;
    }
    let mut changed = false;
    for d in manifest
        .deliveries
        .iter_mut()
        .filter(|d| !present.contains(d.key.as_str()) && d.removed_at.is_none())
    {
        d.removed_at = Some(now.to_string());
        changed = true;
    }
    changed
}

/// Records in the manifest how reading one delivery ended, keeps what it staged to commit, and
/// writes the delivery's outcome file for its sender.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply(
    project: &Project,
    cx: &delivery::Context<'_>,
    manifest: &mut SourceManifest,
    found: &locate::Found,
    read: delivery::Outcome,
    now: &str,
    tally: &mut Tally,
    staged: &mut Vec<delivery::Staged>,
) {
    use delivery::Outcome;
    let modified = found.modified.map(|t| t.to_rfc3339());
    let Some(index) = delivery_index(cx, manifest, found, &read, &modified, now) else {
        return;
    };
    manifest.deliveries[index].removed_at = None;
    match read {
        Outcome::NotYetThere => {}
        Outcome::Unchanged { etag } => {
            unchanged(&mut manifest.deliveries[index], etag, modified, tally);
        }
        Outcome::Read(r) => {
            let r = *r;
            for p in &r.periods {
                manifest
                    .periods_seen
                    .entry(p.clone())
                    .or_insert_with(|| now.to_string());
            }
            let d = &mut manifest.deliveries[index];
            read_anew(project, cx, d, r, modified, tally, staged);
        }
        Outcome::Failed {
            error,
            rejected,
            stats,
        } => {
            let d = &mut manifest.deliveries[index];
            let failure = Failure {
                error,
                rejected,
                stats,
            };
            failed(project, cx, d, failure, now, tally, staged);
        }
    }
}

/// The delivery's place in the manifest, a new entry for a key not seen before; None for a
/// template's period that is not there yet and was never seen.
fn delivery_index(
    cx: &delivery::Context<'_>,
    manifest: &mut SourceManifest,
    found: &locate::Found,
    read: &delivery::Outcome,
    modified: &Option<String>,
    now: &str,
) -> Option<usize> {
    let at = match unchanged::find(manifest, &found.key) {
        Ok(i) => return Some(i),
        Err(at) => at,
    };
    if matches!(read, delivery::Outcome::NotYetThere) {
        return None;
    }
    manifest.deliveries.insert(
        at,
        Delivery {
            key: found.key.clone(),
            url: (cx.shown)(&found.url),
            published: None,
            periods: Vec::new(),
            covers: Vec::new(),
            modified: modified.clone(),
            arrived_at: now.to_string(),
            rejected_file: None,
            findings_file: None,
            failure: None,
            removed_at: None,
        },
    );
    Some(at)
}

/// A delivery whose published content stands: its figures count again.
fn unchanged(d: &mut Delivery, etag: Option<String>, modified: Option<String>, tally: &mut Tally) {
    if let (Some(p), Some(etag)) = (d.published.as_mut(), etag) {
        p.etag = Some(etag);
    }
    // A file re-sent with the same content is still the latest sent: for supersede it is
    // newer than a delivery modified in between, as reading the folder from scratch finds.
    if modified.is_some() {
        d.modified = modified;
    }
    d.failure = None;
    if let Some(p) = &d.published {
        tally.rows += p.rows;
        tally.rejected += p.rejected_rows;
        tally.skipped += p.skipped_rows;
        tally.warnings.extend(p.warnings.iter().cloned());
    }
    tally
        .deliveries
        .push(DeliveryOutcome::of(d, SourceStatus::Unchanged, None));
}

/// A delivery read and staged: it is published once the manifest is written.
fn read_anew(
    project: &Project,
    cx: &delivery::Context<'_>,
    d: &mut Delivery,
    r: delivery::Read,
    modified: Option<String>,
    tally: &mut Tally,
    staged: &mut Vec<delivery::Staged>,
) {
    tally.read += 1;
    tally.attempts += r.attempts;
    tally.rows += r.stats.written;
    tally.rejected += r.stats.rejected;
    tally.skipped += r.stats.skipped;
    tally.check_errors += r.check_errors;
    tally.warnings.extend(r.published.warnings.iter().cloned());
    tally.notes.extend(r.published.notes.iter().cloned());
    tally.feedback.push(feedback::write(
        project,
        cx.source,
        d.key.as_str(),
        &feedback::Report::read(&r),
    ));
    d.published = Some(r.published);
    d.periods = r.periods;
    d.covers = r.covers;
    d.modified = modified;
    d.failure = None;
    d.rejected_file = r.rejected.as_ref().map(|s| s.rel.clone());
    d.findings_file = r.findings.as_ref().map(|s| s.rel.clone());
    staged.push(r.data);
    staged.extend(r.rejected);
    staged.extend(r.findings);
    tally
        .deliveries
        .push(DeliveryOutcome::of(d, SourceStatus::Ingested, None));
}

/// How a delivery failed: why, and the rejected rows staged for the office.
struct Failure {
    error: IngestError,
    rejected: Option<delivery::Staged>,
    stats: Option<Box<ParseStats>>,
}

/// A delivery that failed: its last published content stays, the failure is recorded.
fn failed(
    project: &Project,
    cx: &delivery::Context<'_>,
    d: &mut Delivery,
    f: Failure,
    now: &str,
    tally: &mut Tally,
    staged: &mut Vec<delivery::Staged>,
) {
    let status = match f.error {
        IngestError::Shrunk { .. } => SourceStatus::HeldBack,
        _ => SourceStatus::Failed,
    };
    let message = f.error.to_string();
    let problem = f.error.problem();
    tally.feedback.push(feedback::write(
        project,
        cx.source,
        d.key.as_str(),
        &feedback::Report::failed(&problem, f.stats.as_deref()),
    ));
    d.failure = Some(Attempt {
        at: now.to_string(),
        run_id: cx.run_id.to_string(),
        status: match status {
            SourceStatus::HeldBack => "held_back".into(),
            _ => "failed".into(),
        },
        rows: None,
        error: Some(message.clone()),
        problem: Some(problem.clone()),
    });
    if let Some(r) = f.rejected {
        d.rejected_file = Some(r.rel.clone());
        staged.push(r);
    }
    if let Some(s) = &f.stats {
        tally.rejected += s.rejected;
    }
    tally
        .deliveries
        .push(DeliveryOutcome::of(d, status, Some(message.clone())));
    tally.failed.push((status, message, problem));
}

/// Removes the source's data, rejected and findings files that its manifest does not name:
/// superseded ones, and any a killed run left behind.
pub(super) async fn remove_unnamed(
    wh: &Warehouse,
    table: &Table,
    source: &Source,
    manifest: &SourceManifest,
) -> Result<(), WarehouseError> {
    let mut named = std::collections::BTreeSet::new();
    for d in &manifest.deliveries {
        named.extend(d.published.as_ref().and_then(|p| p.file.clone()));
        named.extend(d.rejected_file.clone());
        named.extend(d.findings_file.clone());
    }
    // Files a published bundle was computed from stay while the bundle exists.
    named.extend(crate::warehouse::pins::pinned_files(wh).await?);
    wh.remove_all_but(&wh.partition(&table.name, &source.name), &named)
        .await?;
    wh.remove_all_but(
        &format!("_rejected/{}/source={}", table.name, source.name),
        &named,
    )
    .await?;
    wh.remove_all_but(&format!("_findings/{}", source.name), &named)
        .await?;
    // The single findings file of manifests before deliveries.
    match wh.store.delete(&wh.findings_path(&source.name)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(source) => Err(WarehouseError::Store {
            path: "_findings".into(),
            source,
        }),
    }
}
