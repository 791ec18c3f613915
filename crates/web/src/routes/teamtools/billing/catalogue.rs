//! Features, groups, packages and plans (compat/teamtools.md §6.3, §9.4, §9.5).
use super::*;

pub(super) fn feature_patch(body: &Map<String, Value>) -> Result<FeaturePatch, TeamToolsError> {
    Ok(FeaturePatch {
        name: text(body, "name"),
        description: body.get("description").and_then(Value::as_str).map(str::to_owned),
        unique_key: match body.get("uniqueKey").or(body.get("unique_key")) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => Some(text(body, "uniqueKey").or(text(body, "unique_key"))),
        },
        dependency_ids: ids_of(body, "dependency_ids")?.or(ids_of(body, "dependencyIds")?),
    })
}

pub(crate) async fn features(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move { app.list_features(p, &q).await }).await?;
    collection(rows.iter().map(|r| Value::Object(feature(r))).collect())
}

pub(crate) async fn create_feature(s: State<AppState>, call: Call) -> Answer {
    let body = call.fields();
    let patch = feature_patch(&body)?;
    let created = s
        .app
        .create_feature(
            &call.principal,
            &call.meta,
            NewFeature {
                name: patch.name.unwrap_or_default(),
                description: patch.description,
                unique_key: patch.unique_key.flatten(),
                dependency_ids: patch.dependency_ids,
            },
        )
        .await?;
    Ok(data(feature(&created)))
}

pub(crate) async fn get_feature(s: State<AppState>, raw: String, call: Call) -> Answer {
    let f = s.app.get_feature(&call.principal, path_id(&raw)?).await?;
    if f.deleted_at.is_some() {
        return Err(TeamToolsError::new(ErrorCode::NotFound, "no such feature"));
    }
    Ok(data(feature(&f)))
}

pub(crate) async fn update_feature(s: State<AppState>, raw: String, call: Call) -> Answer {
    let patch = feature_patch(&call.fields())?;
    let f = s
        .app
        .update_feature(&call.principal, &call.meta, path_id(&raw)?, patch)
        .await?;
    Ok(data(feature(&f)))
}

pub(crate) async fn delete_feature(s: State<AppState>, raw: String, call: Call) -> Answer {
    let id = path_id(&raw)?;
    let f = s.app.get_feature(&call.principal, id).await?;
    s.app.delete_feature(&call.principal, &call.meta, id).await?;
    Ok(data(feature(&f)))
}

pub(crate) async fn restore_feature(s: State<AppState>, raw: String, call: Call) -> Answer {
    let f = s
        .app
        .restore_feature(&call.principal, &call.meta, path_id(&raw)?)
        .await?;
    Ok(data(feature(&f)))
}

// ------------------------------------------------------------------ groups

pub(crate) async fn groups(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move { app.list_groups(p, &q).await }).await?;
    collection(rows.iter().map(|r| Value::Object(group(r))).collect())
}

/// `defaultPackageId` (the README's text) or `defaultPackage` (the README's example).
pub(super) fn default_package(body: &Map<String, Value>) -> Result<Option<i64>, TeamToolsError> {
    Ok(id_of(body, "defaultPackageId")?.or(id_of(body, "defaultPackage")?))
}

pub(crate) async fn create_group(s: State<AppState>, call: Call) -> Answer {
    let body = call.fields();
    let created = s
        .app
        .create_group(
            &call.principal,
            &call.meta,
            NewGroup {
                name: text(&body, "name").unwrap_or_default(),
                default: flag(&body, "default")?,
                default_package_id: default_package(&body)?,
            },
        )
        .await?;
    Ok(data(group(&created)))
}

pub(crate) async fn get_group(s: State<AppState>, raw: String, call: Call) -> Answer {
    Ok(data(group(&s.app.get_group(&call.principal, path_id(&raw)?).await?)))
}

pub(crate) async fn update_group(s: State<AppState>, raw: String, call: Call) -> Answer {
    let body = call.fields();
    let patch = GroupPatch {
        name: text(&body, "name"),
        default: flag(&body, "default")?,
        default_package_id: match default_package(&body)? {
            Some(p) => Some(Some(p)),
            None if body.get("defaultPackageId").is_some_and(Value::is_null) => Some(None),
            None => None,
        },
    };
    let g = s
        .app
        .update_group(&call.principal, &call.meta, path_id(&raw)?, patch)
        .await?;
    Ok(data(group(&g)))
}

/// `GET groups/{id}/packages`: the group's live packages.
pub(crate) async fn group_packages(s: State<AppState>, raw: String, call: Call) -> Answer {
    let group_id = path_id(&raw)?;
    s.app.get_group(&call.principal, group_id).await?;
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move {
        app.list_packages(
            p,
            &CatalogueQuery {
                group_id: Some(group_id),
                ..q
            },
        )
        .await
    })
    .await?;
    Ok(data(rows.iter().map(|r| Value::Object(package(r))).collect::<Vec<_>>()))
}

// ------------------------------------------------------------------ packages

pub(super) fn package_features(body: &Map<String, Value>) -> Result<Option<Vec<PackageFeature>>, TeamToolsError> {
    if let Some(Value::Array(items)) = body.get("features") {
        let with_quantities: Option<Vec<PackageFeature>> = items
            .iter()
            .map(|item| {
                let map = item.as_object()?;
                let feature_id = parse_id(map.get("featureId").or(map.get("feature_id"))?)?;
                let quantity = map.get("quantity").and_then(|q| match q {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                });
                Some(PackageFeature { feature_id, quantity })
            })
            .collect();
        return with_quantities
            .map(Some)
            .ok_or_else(|| TeamToolsError::field("features", "must be a list of {featureId, quantity}"));
    }
    Ok(ids_of(body, "featureIds")?.map(|ids| {
        ids.into_iter()
            .map(|feature_id| PackageFeature {
                feature_id,
                quantity: None,
            })
            .collect()
    }))
}

pub(crate) async fn packages(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move { app.list_packages(p, &q).await }).await?;
    collection(rows.iter().map(|r| Value::Object(package(r))).collect())
}

pub(crate) async fn create_package(s: State<AppState>, call: Call) -> Answer {
    let body = call.fields();
    let created = s
        .app
        .create_package(
            &call.principal,
            &call.meta,
            NewPackage {
                name: text(&body, "name").unwrap_or_default(),
                group_id: id_of(&body, "groupId")?,
                description: text(&body, "description"),
                default: flag(&body, "default")?,
                features: package_features(&body)?,
            },
        )
        .await?;
    Ok(data(package(&created)))
}

pub(crate) async fn get_package(s: State<AppState>, raw: String, call: Call) -> Answer {
    let p = s.app.get_package(&call.principal, path_id(&raw)?).await?;
    if p.deleted_at.is_some() {
        return Err(TeamToolsError::new(ErrorCode::NotFound, "no such package"));
    }
    Ok(data(package(&p)))
}

pub(crate) async fn update_package(s: State<AppState>, raw: String, call: Call) -> Answer {
    let body = call.fields();
    let patch = PackagePatch {
        name: text(&body, "name"),
        group_id: id_of(&body, "groupId")?,
        description: body.get("description").and_then(Value::as_str).map(str::to_owned),
        default: flag(&body, "default")?,
        features: package_features(&body)?,
    };
    let p = s
        .app
        .update_package(&call.principal, &call.meta, path_id(&raw)?, patch)
        .await?;
    Ok(data(package(&p)))
}

pub(crate) async fn delete_package(s: State<AppState>, raw: String, call: Call) -> Answer {
    let id = path_id(&raw)?;
    let p = s.app.get_package(&call.principal, id).await?;
    s.app.delete_package(&call.principal, &call.meta, id).await?;
    Ok(data(package(&p)))
}

pub(crate) async fn restore_package(s: State<AppState>, raw: String, call: Call) -> Answer {
    let p = s
        .app
        .restore_package(&call.principal, &call.meta, path_id(&raw)?)
        .await?;
    Ok(data(package(&p)))
}

// ------------------------------------------------------------------ plans

pub(crate) async fn plans(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move { app.list_plans(p, &q).await }).await?;
    collection(rows.iter().map(|r| Value::Object(plan(r))).collect())
}

pub(crate) async fn create_plan(s: State<AppState>, call: Call) -> Answer {
    let body = call.fields();
    let package_id = id_of(&body, "packageId")?.ok_or_else(|| TeamToolsError::field("packageId", "is required"))?;
    // Name and description default to the package's (README "Step 3").
    let pkg = s.app.get_package(&call.principal, package_id).await?;
    let mut input = NewPlan {
        package_id,
        name: text(&body, "name").unwrap_or_else(|| pkg.name.clone()),
        description: text(&body, "description").or(Some(pkg.description.clone())),
        currency: text(&body, "currency").unwrap_or_default(),
        trial_days: unsigned(&body, "trial")?.or(unsigned(&body, "trialDays")?),
        initial_fee: int(&body, "initialFee")?,
        ..NewPlan::default()
    };
    match body.get("pricing") {
        Some(Value::Object(pricing)) => pricing_fields(&mut input, pricing)?,
        _ => {
            return Err(TeamToolsError::field(
                "pricing",
                "is required: {type, interval, amount}",
            ));
        }
    }
    let created = s.app.create_plan(&call.principal, &call.meta, input).await?;
    Ok(data(plan(&created)))
}

pub(crate) async fn get_plan(s: State<AppState>, raw: String, call: Call) -> Answer {
    let p = s.app.get_plan(&call.principal, path_id(&raw)?).await?;
    if p.deleted_at.is_some() {
        return Err(TeamToolsError::new(ErrorCode::NotFound, "no such plan"));
    }
    Ok(data(plan(&p)))
}

pub(crate) async fn update_plan(s: State<AppState>, raw: String, call: Call) -> Answer {
    let body = call.fields();
    let patch = PlanPatch {
        name: text(&body, "name"),
        description: body.get("description").and_then(Value::as_str).map(str::to_owned),
        trial_days: unsigned(&body, "trial")?,
    };
    let p = s
        .app
        .update_plan(&call.principal, &call.meta, path_id(&raw)?, patch)
        .await?;
    Ok(data(plan(&p)))
}

pub(crate) async fn delete_plan(s: State<AppState>, raw: String, call: Call) -> Answer {
    let id = path_id(&raw)?;
    let p = s.app.get_plan(&call.principal, id).await?;
    s.app.delete_plan(&call.principal, &call.meta, id).await?;
    Ok(data(plan(&p)))
}
