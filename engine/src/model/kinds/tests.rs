//! The kind table's own checks: names, words, wiring rules.

use super::*;
use std::collections::HashSet;

#[test]
fn names_round_trip_and_nothing_else_is_a_kind() {
    for k in NodeKind::ALL {
        assert_eq!(NodeKind::from_name(k.name()), Some(k));
        assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.name()));
        assert_eq!(format!("{k:?}"), format!("\"{}\"", k.name()));
    }
    assert_eq!(NodeKind::NAMES.to_vec(), NodeKind::ALL.map(NodeKind::name).to_vec());
    for not_a_kind in ["", "Users", "web server", "webserver", "load-balancer", "node"] {
        assert_eq!(NodeKind::from_name(not_a_kind), None, "{not_a_kind}");
    }
}

#[test]
fn all_lists_every_kind_once_in_palette_order() {
    let distinct: HashSet<NodeKind> = NodeKind::ALL.into_iter().collect();
    assert_eq!(distinct.len(), NodeKind::ALL.len());
    assert_eq!(
        NodeKind::NAMES,
        [
            "users",
            "dns",
            "cdn",
            "rate_limiter",
            "load_balancer",
            "web_server",
            "cache",
            "database",
            "shard_router",
            "nosql",
            "queue",
            "workers"
        ]
    );
}

#[test]
fn words_and_prefixes_tell_kinds_apart() {
    for words in [NodeKind::label, NodeKind::title, NodeKind::blurb, NodeKind::id_prefix] {
        let distinct: HashSet<&str> = NodeKind::ALL.into_iter().map(words).collect();
        assert_eq!(distinct.len(), NodeKind::ALL.len(), "{distinct:?}");
    }
    for k in NodeKind::ALL {
        // The palette's title is the label, capitalised (acronyms kept).
        let mut title = k.label().chars();
        let first = title.next().unwrap().to_uppercase().collect::<String>();
        assert_eq!(k.title(), first + title.as_str(), "{k:?}");
        let prefix = k.id_prefix();
        assert!(prefix.chars().all(|c| c.is_ascii_lowercase()), "{prefix}: a valid start of an id");
        assert!(k.blurb().ends_with('.'), "{k:?}");
    }
}

#[test]
fn stations_are_the_kinds_with_workers_and_only_callers_link_onwards() {
    let stations: Vec<NodeKind> = NodeKind::ALL.into_iter().filter(|k| k.is_station()).collect();
    use NodeKind::*;
    assert_eq!(stations, [WebServer, Cache, Database, Nosql, Workers]);
    let ends: Vec<NodeKind> = NodeKind::ALL.into_iter().filter(|k| !k.links_onward()).collect();
    assert_eq!(ends, [Cache, Nosql, Workers]);
    // Nothing links to users; users link to nothing but entries and a CDN.
    for k in NodeKind::ALL {
        assert!(k.link_to(Users).is_err(), "{k:?}");
    }
}

#[test]
fn links_have_their_roles() {
    use LinkRole as R;
    use NodeKind::*;
    let cases = [
        (Users, LoadBalancer, R::Entry),
        (Users, WebServer, R::Entry),
        (Users, Dns, R::Entry),
        (Users, Cdn, R::Static),
        (Users, RateLimiter, R::Entry),
        (Dns, RateLimiter, R::Resolve),
        (RateLimiter, LoadBalancer, R::Guard),
        (RateLimiter, WebServer, R::Guard),
        (Dns, LoadBalancer, R::Resolve),
        (Dns, WebServer, R::Resolve),
        (Cdn, LoadBalancer, R::Origin),
        (Cdn, WebServer, R::Origin),
        (LoadBalancer, WebServer, R::Balance),
        (WebServer, Cache, R::CacheAside),
        (WebServer, Database, R::Query),
        (WebServer, ShardRouter, R::Route),
        (WebServer, Nosql, R::KeyValue),
        (WebServer, Queue, R::Publish),
        (ShardRouter, Database, R::Shard),
        (Database, Database, R::Replicate),
        (Queue, Workers, R::Consume),
    ];
    for (from, to, role) in cases {
        assert_eq!(from.link_to(to), Ok(role), "{from:?} to {to:?}");
    }
    // Every pair not listed is refused.
    let allowed: HashSet<(NodeKind, NodeKind)> = cases.iter().map(|&(f, t, _)| (f, t)).collect();
    for from in NodeKind::ALL {
        for to in NodeKind::ALL {
            assert_eq!(from.link_to(to).is_ok(), allowed.contains(&(from, to)), "{from:?} to {to:?}");
        }
    }
    assert_eq!(R::Entry.typical_latency_ms(), 20.0);
    assert_eq!(R::Query.typical_latency_ms(), 0.5);
    assert_eq!(R::Balance.typical_latency_ms(), 0.2);
    assert_eq!(R::Guard.typical_latency_ms(), 0.2);
}

#[test]
fn a_refused_link_says_why_in_terms_of_the_kinds() {
    use NodeKind::*;
    let why = |from: NodeKind, to: NodeKind| from.link_to(to).unwrap_err();
    // The linking kind's reason for this pair.
    assert_eq!(why(Users, Database), "users cannot call a database directly; put a web server in between");
    assert_eq!(
        why(LoadBalancer, LoadBalancer),
        "a load balancer forwards to web servers, not to another load balancer"
    );
    // Else the linked kind's: who may link to it.
    let cdn_from_users = "users fetch static files from a CDN; link the users to it";
    assert_eq!(why(Dns, Cdn), cdn_from_users);
    assert_eq!(why(WebServer, Cdn), cdn_from_users);
    assert_eq!(why(Cdn, Cdn), cdn_from_users);
    let workers_from_queue = "workers take their jobs from a queue; link a queue to the workers";
    assert_eq!(why(ShardRouter, Workers), workers_from_queue);
    assert_eq!(why(LoadBalancer, Workers), workers_from_queue);
    assert_eq!(why(Dns, Users), "users only send requests; nothing sends requests to users");
    let limiter_from_users = "only users, or DNS on their behalf, send requests to a rate limiter";
    assert_eq!(why(LoadBalancer, RateLimiter), limiter_from_users);
    assert_eq!(why(Cdn, RateLimiter), limiter_from_users);
    assert_eq!(why(WebServer, RateLimiter), limiter_from_users);
    assert_eq!(
        why(RateLimiter, RateLimiter),
        "a rate limiter stands in front of a load balancer or web server, not another rate limiter"
    );
    assert_eq!(
        why(RateLimiter, Database),
        "a rate limiter passes the requests it lets through to one load balancer or web server"
    );
    assert_eq!(
        why(Dns, Database),
        "DNS points users at the site's entry points: load balancers, web servers or rate limiters"
    );
    // (The users' own words are never needed: what they may not link to says why first.)
    assert!(Users.about().calls.contains("a rate limiter"));
    // Else the linking kind's: what it links to.
    assert_eq!(why(LoadBalancer, Database), "a load balancer forwards only to web servers");
    assert_eq!(why(Cdn, Database), "a CDN fetches what it misses from the origin: a load balancer or web server");
    // A kind that calls nothing says so first.
    assert_eq!(why(Nosql, Database), "a NoSQL store answers requests and calls nothing");
    assert_eq!(why(Nosql, ShardRouter), "a NoSQL store answers requests and calls nothing");
    assert_eq!(why(Workers, Workers), "workers process jobs from their queue and call nothing here");
    assert_eq!(why(Workers, Queue), "workers process jobs from their queue and call nothing here");
    assert_eq!(why(ShardRouter, Cache), "only web servers use a cache; link the cache from a web server");
}

#[test]
fn each_link_is_declared_once_and_by_one_of_its_ends() {
    let mut seen = HashSet::new();
    for k in NodeKind::ALL {
        let about = k.about();
        for &(to, _) in about.links {
            assert!(seen.insert((k, to)), "{k:?} to {to:?} declared twice");
        }
        for &(from, _) in about.linked_from {
            assert!(seen.insert((from, k)), "{from:?} to {k:?} declared twice");
        }
    }
    for k in NodeKind::ALL {
        for &(to, _) in k.about().refuses {
            assert!(!seen.contains(&(k, to)), "{k:?} refuses {to:?}, which it may link to");
        }
    }
}

#[test]
fn the_kinds_files_agree_with_the_registry() {
    for k in NodeKind::ALL {
        let skeleton = k.skeleton();
        assert_eq!(skeleton.kind(), k);
        // The `kind` a file carries is the registry's name for it.
        let json = serde_json::to_value(&skeleton).unwrap();
        assert_eq!(json["kind"], k.name(), "{k:?}");
        // What the palette places is a JSON object of settings.
        let placed: serde_json::Value = serde_json::from_str(k.about().placed).unwrap();
        assert!(placed.is_object(), "{k:?}");
        assert!(k.about().column <= 4 && !k.about().icon.is_empty(), "{k:?}");
        assert_eq!(skeleton.station().is_some(), k.is_station(), "{k:?}");
        assert!(!skeleton.settings().fields().concat().is_empty(), "{k:?}: nothing to edit");
    }
}

#[test]
fn the_palette_blurbs_state_the_placed_defaults() {
    // A web server from the palette holds 500 waiting requests and gives each
    // 3 s; its blurb says so.
    let placed: serde_json::Value = serde_json::from_str(NodeKind::WebServer.about().placed).unwrap();
    let (queue_limit, timeout_ms) = (placed["queue_limit"].as_u64().unwrap(), placed["timeout_ms"].as_f64().unwrap());
    let blurb = NodeKind::WebServer.blurb();
    assert!(blurb.contains(&format!("{queue_limit} waiting")), "{blurb}");
    assert!(blurb.contains(&format!("{} s", timeout_ms / 1000.0)), "{blurb}");
    let users = NodeKind::Users.blurb();
    let default_s = crate::model::scenario::DEFAULT_CLIENT_TIMEOUT_MS / 1000.0;
    assert!(users.contains(&format!("after {default_s} s")), "{users}");
}
