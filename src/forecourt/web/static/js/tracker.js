// First-party marketing measurement, opt-in. Nothing is sent and no visitor id is created until the visitor
// presses Accept in the consent banner (templates/_consent_banner.html). Then, on each page:
// - a `visit` when a browsing session starts (or the address carries utm_* parameters), with the utm_*
//   parameters and an outside referrer;
// - a `vehicle_view` on a car's page; a `calculator_use` the first time the finance widget is used.
// Events go to /api/v1/events with fetch(keepalive) and credentials omitted: the visitor id is in the body,
// and a signed-in session cookie (which would need a CSRF token) is never sent. Sign-in links the visitor id
// (fc_vid cookie) to the account on the server. Declining deletes what was measured for this visitor id.
// The visitor id is issued by the server on the first Accept, with an HttpOnly proof cookie this script
// cannot read (marketing/visitor_cookies.py): a choice is sent with the browser's cookies to
// /api/v1/visitors/me/consent, carrying the CSRF token that GET /api/v1/visitors/me hands out.
(function () {
  "use strict";
  var VISITOR_COOKIE = "fc_vid";  // set by the server; readable here because events carry it in their body
  var CONSENT_COOKIE = "fc_consent";
  var MAX_AGE = 400 * 24 * 3600;
  var SESSION_FLAG = "fc_visit_at";
  var SESSION_MINUTES = 30;
  var CHECKED_FLAG = "fc_vid_checked";  // this browsing session's visitor id was confirmed by the server

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) {
        return decodeURIComponent(parts[i].slice(eq + 1));
      }
    }
    return null;
  }

  function writeCookie(name, value) {
    document.cookie = name + "=" + encodeURIComponent(value) + "; Max-Age=" + MAX_AGE + "; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }

  function randomHex(bytes) {
    var values = new Uint8Array(bytes);
    window.crypto.getRandomValues(values);
    return Array.prototype.map.call(values, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function visitorId() {
    var id = readCookie(VISITOR_COOKIE);
    return /^[A-Za-z0-9_-]{8,64}$/.test(id || "") ? id : null;
  }

  function post(url, body) {
    if (!window.fetch) {
      return;
    }
    window.fetch(url, {
      method: "POST", body: JSON.stringify(body), headers: {"Content-Type": "application/json"},
      credentials: "omit", keepalive: true
    }).catch(function () { /* measurement must never disturb the page */ });
  }

  function send(events) {
    var vid = visitorId();
    if (readCookie(CONSENT_COOKIE) !== "granted" || !events.length || !vid) {
      return;
    }
    var now = new Date().toISOString();
    post("/api/v1/events", {events: events.map(function (e) {
      e.event_id = randomHex(16);
      e.occurred_at = now;
      e.visitor_id = vid;
      return e;
    })});
  }

  function visit() {
    var params = new URLSearchParams(location.search);
    var event = {type: "visit"};
    ["utm_source", "utm_medium", "utm_campaign"].forEach(function (name) {
      var value = params.get(name);
      if (value) {
        event[name] = value.slice(0, 100);
      }
    });
    var referrer = "";
    try {
      if (document.referrer && new URL(document.referrer).host !== location.host) {
        referrer = document.referrer.slice(0, 2000);
      }
    } catch (ignored) { /* not a URL */ }
    if (referrer) {
      event.referrer = referrer;
    }
    var last = Number(window.sessionStorage.getItem(SESSION_FLAG) || 0);
    var fresh = Date.now() - last > SESSION_MINUTES * 60 * 1000;
    window.sessionStorage.setItem(SESSION_FLAG, String(Date.now()));
    return (fresh || event.utm_source || referrer) ? [event] : [];
  }

  function track(banner) {
    var events = visit();
    var model = banner && banner.getAttribute("data-model-code");
    if (model) {
      events.push({type: "vehicle_view", model_code: model});
    }
    send(events);
    var form = document.querySelector("form.payment-form");
    if (form) {
      var used = false;
      var onUse = function () {
        if (!used) {
          used = true;
          send([model ? {type: "calculator_use", model_code: model} : {type: "calculator_use"}]);
        }
      };
      form.addEventListener("change", onUse);
      form.addEventListener("submit", onUse);
    }
  }

  // This browser as the server sees it (its proven visitor id, if any) and a CSRF token. Same-origin
  // credentials: the proof and CSRF cookies must go along.
  function withVisitor(handle) {
    if (!window.fetch) {
      return;
    }
    window.fetch("/api/v1/visitors/me", {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.json(); })
      .then(handle)
      .catch(function () { /* measurement must never disturb the page */ });
  }

  // Record a choice; then() runs once it is stored (on a first Accept, once the visitor id cookie is set).
  function postConsent(token, granted, then) {
    return window.fetch("/api/v1/visitors/me/consent", {
      method: "POST", body: JSON.stringify({granted: granted}), credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token}
    }).then(function (response) {
      if (response.ok) {
        window.sessionStorage.setItem(CHECKED_FLAG, "1");
        if (then) {
          then();
        }
      }
    });
  }

  function recordConsent(granted, then) {
    withVisitor(function (me) { return postConsent(me.csrf_token, granted, then); });
  }

  // Accepted on an earlier page. Once a browsing session, check that the id is one the server issued: an id
  // this script made up itself (before ids were issued) cannot be proven, so the server issues a new one.
  function resume(banner) {
    if (visitorId() && window.sessionStorage.getItem(CHECKED_FLAG)) {
      track(banner);
      return;
    }
    withVisitor(function (me) {
      if (me.visitor_id && me.visitor_id === visitorId()) {
        window.sessionStorage.setItem(CHECKED_FLAG, "1");
        track(banner);
        return null;
      }
      return postConsent(me.csrf_token, true, function () { track(banner); });
    });
  }

  function choose(banner, granted) {
    writeCookie(CONSENT_COOKIE, granted ? "granted" : "declined");
    banner.hidden = true;
    recordConsent(granted, granted ? function () { track(banner); } : null);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var banner = document.getElementById("consent-banner");
    var settings = document.getElementById("consent-settings");
    if (!banner) {
      return;
    }
    var consent = readCookie(CONSENT_COOKIE);
    if (consent === "granted") {
      resume(banner);
    }
    banner.hidden = Boolean(consent);
    if (settings) {
      settings.hidden = !consent;
      // A choice can be changed at any time; declining after accepting deletes what was measured.
      settings.querySelector("[data-consent=reopen]").addEventListener("click", function () {
        settings.hidden = true;
        banner.hidden = false;
      });
    }
    var decide = function (granted) {
      choose(banner, granted);
      if (settings) {
        settings.hidden = false;
      }
    };
    banner.querySelector("[data-consent=accept]").addEventListener("click", function () { decide(true); });
    banner.querySelector("[data-consent=decline]").addEventListener("click", function () { decide(false); });
  });
})();
