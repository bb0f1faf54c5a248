//! Group members on both surfaces: lists and profiles, online counts, cards
//! and custom fields with the who-may-act-on-whom rules, and every member
//! route under both `/groupMember/` and `/group/`.

use serde_json::{json, Value};

use crate::{
    groups::support::{add, create_group, make_admin, Listener},
    helpers::{assert_codes, compat_err, compat_ok, err, ok, seed_users, spawn_app, TestApp},
};

const LIST: &str = "query($g: String!, $n: Int, $o: Int) { getGroupMemberList(groupID: $g, count: $n, offset: $o) { memberList { userID nick role joinTime nameCard muteUntil memberCustomField { key value } } offset } }";
const PROFILES: &str = "query($g: String!, $u: [String!]!) { getGroupMemberProfile(groupID: $g, userIDList: $u) { userID nick role nameCard } }";
const CARD: &str = "mutation($g: String!, $u: String, $c: String!) { setGroupMemberNameCard(groupID: $g, userID: $u, nameCard: $c) { userID nameCard } }";
const FIELDS: &str = "mutation($g: String!, $u: String, $f: [CustomFieldInput!]!) { setGroupMemberCustomField(groupID: $g, userID: $u, memberCustomField: $f) { userID memberCustomField { key value } } }";

/// "olive" owns a Public group "g" with admin "adam" and members "mia", "ben".
async fn club(app: &TestApp) -> Vec<String> {
    let t = seed_users(app, &["olive", "adam", "mia", "ben", "out"]).await;
    create_group(
        app,
        &t[0],
        json!({ "name": "g", "groupID": "g", "type": "Public" }),
    )
    .await;
    add(app, &t[0], "g", &["adam", "mia", "ben"]).await;
    make_admin(app, &t[0], "g", "adam").await;
    t
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["userID"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn member_lists_page_by_offset_on_both_surfaces() {
    let app = spawn_app().await;
    let t = club(&app).await;
    let first = ok(&app, &t[2], LIST, json!({ "g": "g", "n": 3 })).await;
    let page = &first["getGroupMemberList"];
    assert_eq!(page["offset"], 3);
    let seen = ids(&page["memberList"]);
    assert_eq!(seen.len(), 3);
    let second = ok(&app, &t[2], LIST, json!({ "g": "g", "n": 3, "o": 3 })).await;
    let rows: Vec<Value> = [
        page["memberList"].clone(),
        second["getGroupMemberList"]["memberList"].clone(),
    ]
    .iter()
    .flat_map(|l| l.as_array().cloned().unwrap_or_default())
    .collect();
    let owner = rows.iter().find(|m| m["userID"] == "olive").expect("owner");
    assert_eq!(
        (owner["role"].clone(), owner["nick"].clone()),
        (json!("Owner"), json!("olive-nick"))
    );
    assert!(owner["joinTime"].as_i64().unwrap_or(0) > 1_700_000_000);
    assert_eq!(second["getGroupMemberList"]["offset"], 0, "the end");
    let mut all = seen.clone();
    all.extend(ids(&second["getGroupMemberList"]["memberList"]));
    all.sort();
    assert_eq!(all, ["adam", "ben", "mia", "olive"]);
    let defaults = ok(
        &app,
        &t[2],
        "query { getGroupMemberList(groupID: \"g\") { memberList { userID } offset } }",
        json!({}),
    )
    .await;
    assert_eq!(ids(&defaults["getGroupMemberList"]["memberList"]).len(), 4);
    assert_eq!(defaults["getGroupMemberList"]["offset"], 0);
    for vars in [
        json!({ "g": "g", "n": 0 }),
        json!({ "g": "g", "n": 101 }),
        json!({ "g": "g", "o": -1 }),
    ] {
        assert_eq!(
            err(&app, &t[2], LIST, vars.clone()).await,
            "BAD_USER_INPUT",
            "{vars}"
        );
    }
    assert_eq!(
        err(&app, &t[4], LIST, json!({ "g": "g" })).await,
        "NOT_GROUP_MEMBER"
    );
    for path in [
        "/groupMember/getGroupMemberList",
        "/group/getGroupMemberList",
    ] {
        let data = compat_ok(
            &app,
            &t[2],
            path,
            json!({ "groupID": "g", "count": "2", "offset": 2 }),
        )
        .await;
        assert_eq!(data["offset"], 0, "{path}");
        assert_eq!(
            data["memberList"].as_array().map(Vec::len),
            Some(2),
            "{path}"
        );
    }
    assert_eq!(
        compat_err(
            &app,
            &t[4],
            "/groupMember/getGroupMemberList",
            json!({ "groupID": "g" })
        )
        .await,
        (403, 10007)
    );
}

#[tokio::test]
async fn member_profiles_come_in_request_order_without_non_members() {
    let app = spawn_app().await;
    let t = club(&app).await;
    let got = ok(
        &app,
        &t[3],
        PROFILES,
        json!({ "g": "g", "u": ["mia", "out", "adam", "mia"] }),
    )
    .await;
    assert_eq!(
        got["getGroupMemberProfile"],
        json!([
            { "userID": "mia", "nick": "mia-nick", "role": "Member", "nameCard": "" },
            { "userID": "adam", "nick": "adam-nick", "role": "Admin", "nameCard": "" },
        ])
    );
    let many: Vec<String> = (0..51).map(|i| format!("u{i}")).collect();
    assert_eq!(
        err(&app, &t[3], PROFILES, json!({ "g": "g", "u": many })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(&app, &t[4], PROFILES, json!({ "g": "g", "u": ["mia"] })).await,
        "NOT_GROUP_MEMBER"
    );
    for path in [
        "/groupMember/getGroupMemberProfile",
        "/group/getGroupMemberProfile",
    ] {
        let data = compat_ok(
            &app,
            &t[3],
            path,
            json!({ "groupID": "g", "userIDList": ["olive"] }),
        )
        .await;
        assert_eq!(data["memberList"][0]["role"], "Owner", "{path}");
    }
}

#[tokio::test]
async fn the_online_count_counts_members_with_a_live_connection() {
    let app = spawn_app().await;
    let t = club(&app).await;
    let count = "query { getGroupOnlineMemberCount(groupID: \"g\") }";
    assert_eq!(
        ok(&app, &t[0], count, json!({})).await["getGroupOnlineMemberCount"],
        0
    );
    // Connections of members count (once per member); others' do not.
    let _mia = Listener::open(&app, &t[2], "mia").await;
    let _mia_again = Listener::open(&app, &t[2], "mia").await;
    let _ben = Listener::open(&app, &t[3], "ben").await;
    let _out = Listener::open(&app, &t[4], "out").await;
    assert_eq!(
        ok(&app, &t[0], count, json!({})).await["getGroupOnlineMemberCount"],
        2
    );
    for path in [
        "/groupMember/getGroupOnlineMemberCount",
        "/group/getGroupOnlineMemberCount",
    ] {
        let data = compat_ok(&app, &t[1], path, json!({ "groupID": "g" })).await;
        assert_eq!(data, json!({ "memberCount": 2 }), "{path}");
    }
    assert_eq!(err(&app, &t[4], count, json!({})).await, "NOT_GROUP_MEMBER");
}

#[tokio::test]
async fn name_cards_follow_who_may_act_on_whom() {
    let app = spawn_app().await;
    let t = club(&app).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    // A member on themselves (userID defaults to the viewer), not on others.
    let own = ok(&app, mia, CARD, json!({ "g": "g", "c": "Mia" })).await;
    assert_eq!(
        own["setGroupMemberNameCard"],
        json!({ "userID": "mia", "nameCard": "Mia" })
    );
    assert_eq!(
        err(&app, mia, CARD, json!({ "g": "g", "u": "ben", "c": "x" })).await,
        "FORBIDDEN"
    );
    // An admin on ordinary members and themselves, not on the owner or other admins.
    ok(
        &app,
        admin,
        CARD,
        json!({ "g": "g", "u": "ben", "c": "Ben" }),
    )
    .await;
    ok(
        &app,
        admin,
        CARD,
        json!({ "g": "g", "u": "adam", "c": "Adam" }),
    )
    .await;
    assert_eq!(
        err(
            &app,
            admin,
            CARD,
            json!({ "g": "g", "u": "olive", "c": "x" })
        )
        .await,
        "FORBIDDEN"
    );
    make_admin(&app, owner, "g", "ben").await;
    assert_eq!(
        err(&app, admin, CARD, json!({ "g": "g", "u": "ben", "c": "x" })).await,
        "FORBIDDEN"
    );
    // The owner on anyone.
    ok(
        &app,
        owner,
        CARD,
        json!({ "g": "g", "u": "adam", "c": "Boss's admin" }),
    )
    .await;
    assert_eq!(
        err(&app, owner, CARD, json!({ "g": "g", "u": "out", "c": "x" })).await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        err(&app, mia, CARD, json!({ "g": "g", "c": "x".repeat(51) })).await,
        "BAD_USER_INPUT"
    );
    let cards = ok(
        &app,
        mia,
        PROFILES,
        json!({ "g": "g", "u": ["adam", "ben", "mia"] }),
    )
    .await;
    let names: Vec<&str> = cards["getGroupMemberProfile"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["nameCard"].as_str())
        .collect();
    assert_eq!(names, ["Boss's admin", "Ben", "Mia"]);
    // Compat: `{group, member}` under both prefixes.
    for (path, card) in [
        ("/groupMember/setGroupMemberNameCard", "M1"),
        ("/group/setGroupMemberNameCard", "M2"),
    ] {
        let data = compat_ok(&app, mia, path, json!({ "groupID": "g", "nameCard": card })).await;
        assert_eq!(data["member"]["nameCard"], card);
        assert_eq!(data["group"]["groupID"], "g");
        assert_eq!(data["group"]["selfInfo"]["nameCard"], card);
    }
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/groupMember/setGroupMemberNameCard",
            json!({ "groupID": "g", "userID": "olive", "nameCard": "x" })
        )
        .await,
        (403, 10007)
    );
}

#[tokio::test]
async fn custom_member_fields_merge_by_key_under_the_same_rules() {
    let app = spawn_app().await;
    let t = club(&app).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    let set = ok(&app, mia, FIELDS, json!({ "g": "g", "f": [{ "key": "team", "value": "qa" }, { "key": "desk", "value": "7" }] })).await;
    assert_eq!(
        set["setGroupMemberCustomField"]["memberCustomField"],
        json!([{ "key": "team", "value": "qa" }, { "key": "desk", "value": "7" }])
    );
    let merged = ok(
        &app,
        admin,
        FIELDS,
        json!({ "g": "g", "u": "mia", "f": [{ "key": "desk", "value": "9" }] }),
    )
    .await;
    assert_eq!(
        merged["setGroupMemberCustomField"]["memberCustomField"],
        json!([{ "key": "team", "value": "qa" }, { "key": "desk", "value": "9" }])
    );
    assert_codes(
        &app,
        &[
            (
                mia,
                FIELDS,
                json!({ "g": "g", "u": "adam", "f": [] }),
                "FORBIDDEN",
            ),
            (
                admin,
                FIELDS,
                json!({ "g": "g", "u": "olive", "f": [] }),
                "FORBIDDEN",
            ),
            (
                mia,
                FIELDS,
                json!({ "g": "g", "f": [{ "key": "no spaces", "value": "v" }] }),
                "BAD_USER_INPUT",
            ),
        ],
    )
    .await;
    ok(
        &app,
        owner,
        FIELDS,
        json!({ "g": "g", "u": "adam", "f": [{ "key": "k", "value": "v" }] }),
    )
    .await;
    // Compat accepts a plain object, under both prefixes.
    for path in [
        "/groupMember/setGroupMemberCustomField",
        "/group/setGroupMemberCustomField",
    ] {
        let data = compat_ok(
            &app,
            mia,
            path,
            json!({ "groupID": "g", "memberCustomField": { "team": "dev" } }),
        )
        .await;
        assert_eq!(
            data["member"]["memberCustomField"][0],
            json!({ "key": "team", "value": "dev" }),
            "{path}"
        );
        assert_eq!(data["group"]["groupID"], "g");
    }
    let listed = ok(&app, owner, LIST, json!({ "g": "g", "n": 10 })).await;
    let mia_row = listed["getGroupMemberList"]["memberList"]
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["userID"] == "mia")
        .cloned()
        .expect("mia");
    assert_eq!(
        mia_row["memberCustomField"],
        json!([{ "key": "team", "value": "dev" }, { "key": "desk", "value": "9" }])
    );
}

#[tokio::test]
async fn every_member_route_answers_under_both_prefixes() {
    let app = spawn_app().await;
    let t = club(&app).await;
    let owner = &t[0];
    seed_users(&app, &["new1", "new2"]).await;
    for prefix in ["/groupMember", "/group"] {
        let new = if prefix == "/group" { "new2" } else { "new1" };
        let added = compat_ok(
            &app,
            owner,
            &format!("{prefix}/addGroupMember"),
            json!({ "groupID": "g", "userIDList": [new] }),
        )
        .await;
        assert_eq!(added["successUserIDList"], json!([new]), "{prefix}");
        let muted = compat_ok(
            &app,
            owner,
            &format!("{prefix}/setGroupMemberMuteTime"),
            json!({ "groupID": "g", "userID": new, "muteTime": 60 }),
        )
        .await;
        assert!(
            muted["member"]["muteUntil"].as_i64().unwrap_or(0) > 0,
            "{prefix}"
        );
        let role = compat_ok(
            &app,
            owner,
            &format!("{prefix}/setGroupMemberRole"),
            json!({ "groupID": "g", "userID": new, "role": "Admin" }),
        )
        .await;
        assert_eq!(role["member"]["role"], "Admin", "{prefix}");
        let removed = compat_ok(
            &app,
            owner,
            &format!("{prefix}/deleteGroupMember"),
            json!({ "groupID": "g", "userIDList": [new] }),
        )
        .await;
        assert_eq!(removed["userIDList"], json!([new]), "{prefix}");
        for route in ["getGroupMemberList", "getGroupOnlineMemberCount"] {
            compat_ok(
                &app,
                owner,
                &format!("{prefix}/{route}"),
                json!({ "groupID": "g" }),
            )
            .await;
        }
    }
    // Unknown fields are refused.
    assert_eq!(
        compat_err(
            &app,
            owner,
            "/groupMember/addGroupMember",
            json!({ "groupID": "g", "userIDList": [], "reason": "x" })
        )
        .await,
        (400, 400)
    );
}
