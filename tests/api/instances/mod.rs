//! Two (or three) real server processes behind no balancer at all, on one
//! PostgreSQL database and one Redis prefix: clients on different instances
//! must see one server.

mod support;

use std::{collections::BTreeSet, time::Duration};

use futures_util::future::join_all;
use serde_json::json;

use support::{group_of, next_message, Cluster, Instance, RECEIVED};

/// Poll `probe` (up to `tries` times, 100 ms apart) until it returns `want`.
async fn until_count(want: i64, tries: usize, mut probe: impl AsyncFnMut() -> i64) -> i64 {
    let mut last = probe().await;
    for _ in 0..tries {
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = probe().await;
    }
    last
}

/// A counter's value in an instance's `/metrics`.
async fn metric(instance: &Instance, name: &str) -> f64 {
    let text = instance
        .http
        .get(instance.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn messages_cross_instances_both_ways_and_online_counts_see_every_instance() {
    let Some(cluster) = Cluster::start("cross-instance delivery").await else {
        return;
    };
    let a = cluster.instance().await;
    let b = cluster.instance().await;
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;

    // Bob listens on B; Alice sends through A.
    let mut bob_ws = b.ws(&bob).await;
    bob_ws
        .subscribe(
            "m",
            RECEIVED,
            json!({ "s": [{ "conversationID": "C2Calice", "sequence": 0 }] }),
        )
        .await;
    let first = a.send(&alice, "C2C", "bob", "from A").await;
    assert_eq!(
        next_message(&mut bob_ws, "m").await,
        ("C2Calice".to_owned(), first, "from A".to_owned())
    );
    // Alice listens on A; Bob sends through B, several times, all in order.
    let mut alice_ws = a.ws(&alice).await;
    alice_ws
        .subscribe(
            "m",
            RECEIVED,
            json!({ "s": [{ "conversationID": "C2Cbob", "sequence": first }] }),
        )
        .await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(b.send(&bob, "C2C", "alice", &format!("from B {i}")).await);
    }
    for (i, seq) in sent.iter().enumerate() {
        assert_eq!(
            next_message(&mut alice_ws, "m").await,
            ("C2Cbob".to_owned(), *seq, format!("from B {i}"))
        );
    }
    // Bob's own session on B sees his sends too (flow out), in order.
    for (i, seq) in sent.iter().enumerate() {
        assert_eq!(
            next_message(&mut bob_ws, "m").await,
            ("C2Calice".to_owned(), *seq, format!("from B {i}"))
        );
    }
    assert!(
        metric(&a, "imgql_bus_received_total").await > 0.0,
        "A heard B through Redis"
    );
    assert_eq!(
        metric(&b, "imgql_messages_sent_total").await,
        5.0,
        "B counts the sends made through it"
    );
    assert!(
        metric(&a, "imgql_deliveries_total").await >= 5.0,
        "A counts what it handed to Alice"
    );

    // Both sockets count, whichever instance is asked.
    group_of(&a, &alice, "both", &["bob"]).await;
    assert_eq!(a.online(&alice, "both").await, 2);
    assert_eq!(b.online(&bob, "both").await, 2);
    drop(bob_ws);
    let after = until_count(1, 100, async || a.online(&alice, "both").await).await;
    assert_eq!(after, 1, "bob's closed socket on B stops counting on A");
}

#[tokio::test]
async fn concurrent_sends_through_both_instances_arrive_in_order_on_both() {
    let Some(cluster) = Cluster::start("concurrent group sends").await else {
        return;
    };
    let a = cluster.instance().await;
    let b = cluster.instance().await;
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    let carol = a.register("carol").await;
    group_of(&a, &alice, "race", &["bob", "carol"]).await;

    let since = json!({ "s": [{ "conversationID": "GROUPrace", "sequence": 0 }] });
    let mut on_b = b.ws(&carol).await;
    on_b.subscribe("m", RECEIVED, since.clone()).await;
    let mut on_a = a.ws(&bob).await;
    on_a.subscribe("m", RECEIVED, since).await;

    let sends = (0..60)
        .map(|i| (&a, &alice, format!("a{i}")))
        .chain((0..60).map(|i| (&b, &bob, format!("b{i}"))))
        .map(|(instance, token, text)| async move {
            instance.send(token, "GROUP", "race", &text).await
        });
    let sequences: BTreeSet<i64> = join_all(sends).await.into_iter().collect();
    assert_eq!(sequences.len(), 120, "every send got its own sequence");
    let newest = *sequences.last().expect("sequences");

    for ws in [&mut on_b, &mut on_a] {
        let mut texts = BTreeSet::new();
        let mut previous: Option<i64> = None;
        loop {
            let (conversation, seq, text) = next_message(ws, "m").await;
            assert_eq!(conversation, "GROUPrace");
            if let Some(previous) = previous {
                assert_eq!(seq, previous + 1, "no gap, no repeat, in order");
            }
            previous = Some(seq);
            if !text.is_empty() {
                assert!(texts.insert(text), "each message once");
            }
            if seq == newest {
                break;
            }
        }
        assert_eq!(texts.len(), 120, "all 120 texts arrived");
    }
}

#[tokio::test]
async fn a_killed_instance_stops_counting_and_a_stopped_one_closes_with_1001() {
    let Some(cluster) = Cluster::start("killed and stopped instances").await else {
        return;
    };
    let a = cluster.instance().await;
    let mut killed = cluster.instance_with_ttl(3).await;
    // A presence that would outlive the test if it were left to expire.
    let mut stopped = cluster.instance_with_ttl(600).await;
    let alice = a.register("alice").await;
    let bob = killed.register("bob").await;
    let carol = stopped.register("carol").await;
    group_of(&a, &alice, "ops", &["bob", "carol"]).await;

    let _bob_ws = killed.ws(&bob).await;
    let mut carol_ws = stopped.ws(&carol).await;
    assert_eq!(a.online(&alice, "ops").await, 2);

    killed.kill();
    let after_kill = until_count(1, 300, async || a.online(&alice, "ops").await).await;
    assert_eq!(
        after_kill, 1,
        "a killed instance stops counting within its TTL"
    );

    let (close, ()) = tokio::join!(carol_ws.closed_with(), stopped.terminate());
    assert_eq!(close, 1001, "SIGTERM closes sockets with 1001 (going away)");
    let after_stop = until_count(0, 100, async || a.online(&alice, "ops").await).await;
    assert_eq!(
        after_stop, 0,
        "a stopped instance removes its presence at once"
    );

    // The one left still serves, live.
    let mut alice_ws = a.ws(&alice).await;
    alice_ws
        .subscribe(
            "m",
            RECEIVED,
            json!({ "s": [{ "conversationID": "GROUPops", "sequence": 0 }] }),
        )
        .await;
    let seq = a.send(&alice, "GROUP", "ops", "still here").await;
    loop {
        let (_, got, text) = next_message(&mut alice_ws, "m").await;
        if got == seq {
            assert_eq!(text, "still here");
            break;
        }
    }
}

#[tokio::test]
async fn resuming_with_since_on_another_instance_misses_nothing() {
    let Some(cluster) = Cluster::start("resume across instances").await else {
        return;
    };
    let a = cluster.instance().await;
    let b = cluster.instance().await;
    let alice = a.register("alice").await;
    let bob = a.register("bob").await;
    let mut sent = Vec::new();
    for i in 0..3 {
        sent.push(a.send(&alice, "C2C", "bob", &format!("m{i}")).await);
    }
    let mut first = a.ws(&bob).await;
    first
        .subscribe(
            "m",
            RECEIVED,
            json!({ "s": [{ "conversationID": "C2Calice", "sequence": 0 }] }),
        )
        .await;
    let mut last = 0;
    for seq in &sent {
        let (_, got, _) = next_message(&mut first, "m").await;
        assert_eq!(got, *seq);
        last = got;
    }
    drop(first);
    // While Bob is away, Alice goes on through the other instance.
    for i in 3..6 {
        sent.push(b.send(&alice, "C2C", "bob", &format!("m{i}")).await);
    }
    let mut again = b.ws(&bob).await;
    again
        .subscribe(
            "m",
            RECEIVED,
            json!({ "s": [{ "conversationID": "C2Calice", "sequence": last }] }),
        )
        .await;
    for (i, seq) in sent.iter().enumerate().skip(3) {
        assert_eq!(
            next_message(&mut again, "m").await,
            ("C2Calice".to_owned(), *seq, format!("m{i}"))
        );
    }
    // Then live, from the first instance, right after the replay.
    let live = a.send(&alice, "C2C", "bob", "live").await;
    assert_eq!(
        next_message(&mut again, "m").await,
        ("C2Calice".to_owned(), live, "live".to_owned())
    );
    assert_eq!(live, sent[5] + 1);
}

/// The code of the first error of a send through `instance`, or "" when it went through.
async fn send_outcome(instance: &Instance, token: &str, to: &str, text: &str) -> String {
    let body = instance
        .gql(
            Some(token),
            "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { sequence } }",
            json!({ "m": { "to": to, "conversationType": "C2C", "payload": { "text": { "text": text } } } }),
        )
        .await;
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_change_on_one_instance_reaches_the_caches_of_the_other() {
    let Some(cluster) = Cluster::start("cross-instance cache invalidation").await else {
        return;
    };
    let a = cluster.instance().await;
    let b = cluster.instance().await;
    let max = a.register("max").await;
    let ned = b.register("ned").await;
    // A caches ned's (empty) blacklist and the channel on this first send.
    a.send(&max, "C2C", "ned", "hello").await;
    b.ok(
        &ned,
        "mutation { addToBlacklist(userIDList: [\"max\"]) }",
        json!({}),
    )
    .await;
    // The invalidation travels through Redis after B's commit: A refuses
    // within a few polls, never silently keeps the stale blacklist.
    let mut code = String::new();
    for i in 0..50 {
        code = send_outcome(&a, &max, "ned", &format!("probe {i}")).await;
        if code == "BLOCKED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(code, "BLOCKED", "A applies B's blacklist change");
    b.ok(
        &ned,
        "mutation { removeFromBlacklist(userIDList: [\"max\"]) }",
        json!({}),
    )
    .await;
    for i in 0..50 {
        code = send_outcome(&a, &max, "ned", &format!("again {i}")).await;
        if code.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(code, "", "A applies B's removal too");

    // A profile change on B shows in the next message sent through A.
    b.ok(
        &ned,
        "mutation { updateMyProfile(input: { nick: \"Ned 2\" }) { nick } }",
        json!({}),
    )
    .await;
    let mut nick = String::new();
    for _ in 0..50 {
        let data = a
            .ok(
                &ned,
                "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { nick } }",
                json!({ "m": { "to": "max", "conversationType": "C2C", "payload": { "text": { "text": "from ned via A" } } } }),
            )
            .await;
        nick = data["sendMessage"]["nick"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if nick == "Ned 2" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(nick, "Ned 2", "A's cached profile follows B's change");
}
