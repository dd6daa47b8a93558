/* The built-in demo AU: a cmi5 assignable unit in plain JavaScript, no library.
 *
 * cmi5 AU duties it carries out: read the launch parameters (8.1), POST the fetch URL once
 * for the auth token (8.2), read LMS.LaunchData (10.0) and cmi5LearnerPreferences (11.0),
 * send "initialized" first (9.3.2), "passed"/"failed" with the score against masteryScore
 * (9.3.4, 9.3.5), "completed" (9.3.3) and "terminated" last (9.3.8), each with the context
 * template, the registration and the cmi5 category, then go to returnURL (10.2.6).
 */
(function () {
  "use strict";

  var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
  var MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
  var VERB = {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    passed: "http://adlnet.gov/expapi/verbs/passed",
    failed: "http://adlnet.gov/expapi/verbs/failed",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    terminated: "http://adlnet.gov/expapi/verbs/terminated",
    answered: "http://adlnet.gov/expapi/verbs/answered"
  };

  var params = new URLSearchParams(window.location.search);
  var launch = {
    endpoint: params.get("endpoint"),
    fetch: params.get("fetch"),
    actor: params.get("actor"),
    registration: params.get("registration"),
    activityId: params.get("activityId")
  };
  var auth = null;
  var launchData = null;
  var startedAt = Date.now();
  var terminated = false;

  function $(id) { return document.getElementById(id); }

  function setStatus(state, text) {
    var status = $("status");
    status.dataset.state = state;
    status.textContent = text;
  }

  function uuid() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function duration(since) {
    return "PT" + ((Date.now() - since) / 1000).toFixed(2) + "S";
  }

  function xapi(method, resource, query, body, keepalive) {
    var url = new URL(resource, launch.endpoint);
    Object.keys(query || {}).forEach(function (key) { url.searchParams.set(key, query[key]); });
    var headers = { "Authorization": auth, "X-Experience-API-Version": "1.0.3" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(url.toString(), {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      keepalive: !!keepalive
    }).then(function (response) {
      if (!response.ok && !(method === "GET" && (response.status === 404 || response.status === 403))) {
        return response.text().then(function (text) {
          throw new Error(method + " " + resource + ": " + response.status + " " + text);
        });
      }
      return response;
    });
  }

  function statement(verb, result, extensions) {
    var context = JSON.parse(JSON.stringify(launchData.contextTemplate || {}));
    context.registration = launch.registration;
    context.contextActivities = context.contextActivities || {};
    context.extensions = context.extensions || {};
    if (verb !== "answered") {
      var category = [{ id: CMI5 }];
      if (result && ("success" in result || "completion" in result)) { category.push({ id: MOVEON }); }
      context.contextActivities.category = (context.contextActivities.category || []).concat(category);
    }
    Object.keys(extensions || {}).forEach(function (key) { context.extensions[key] = extensions[key]; });
    var made = {
      id: uuid(),
      actor: JSON.parse(launch.actor),
      verb: { id: VERB[verb], display: { "en-US": verb } },
      object: { objectType: "Activity", id: launch.activityId },
      context: context,
      timestamp: new Date().toISOString()
    };
    if (result) { made.result = result; }
    return made;
  }

  function send(statements, keepalive) {
    return xapi("POST", "statements", {}, statements, keepalive);
  }

  function start() {
    if (!launch.endpoint || !launch.fetch || !launch.actor || !launch.registration || !launch.activityId) {
      setStatus("error", "Thiếu tham số khởi chạy cmi5 / cmi5 launch parameters are missing");
      return Promise.resolve();
    }
    return fetch(launch.fetch, { method: "POST" })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (!body["auth-token"]) { throw new Error("fetch: " + body["error-code"] + " " + body["error-text"]); }
        auth = "Basic " + body["auth-token"];
        return xapi("GET", "activities/state", {
          activityId: launch.activityId,
          agent: launch.actor,
          registration: launch.registration,
          stateId: "LMS.LaunchData"
        });
      })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        launchData = data;
        return xapi("GET", "agents/profile", { agent: launch.actor, profileId: "cmi5LearnerPreferences" });
      })
      .then(function () { return send([statement("initialized")]); })
      .then(function () {
        var quiz = $("quiz");
        var canRecord = launchData.launchMode === "Normal";
        quiz.querySelectorAll("input, button").forEach(function (el) { el.disabled = !canRecord; });
        $("finish").disabled = false;
        setStatus("ready", canRecord
          ? "Đã sẵn sàng / Ready"
          : "Chế độ xem lại, không ghi kết quả / " + launchData.launchMode + " mode: nothing is recorded");
      });
  }

  function submitQuiz(event) {
    event.preventDefault();
    var questions = document.querySelectorAll("fieldset[data-correct]");
    var correct = 0;
    var answers = [];
    questions.forEach(function (fieldset) {
      var chosen = fieldset.querySelector("input:checked");
      var right = chosen !== null && chosen.value === fieldset.dataset.correct;
      if (right) { correct += 1; }
      var answer = statement("answered", { success: right, response: chosen ? chosen.value : "" });
      answer.object = { objectType: "Activity", id: launch.activityId + "/question/" + fieldset.dataset.question };
      answers.push(answer);
    });
    var total = questions.length;
    var scaled = Math.round((correct / total) * 100) / 100;
    var mastery = typeof launchData.masteryScore === "number" ? launchData.masteryScore : Number($("quiz").dataset.mastery);
    var passed = scaled >= mastery;
    var score = { scaled: scaled, raw: correct, min: 0, max: total };
    var extensions = {};
    extensions[MASTERY] = mastery;
    var outcome = [statement(passed ? "passed" : "failed", { score: score, success: passed, duration: duration(startedAt) }, extensions)];
    if (passed) {
      outcome.push(statement("completed", { completion: true, duration: duration(startedAt) }));
    }
    $("submit").disabled = true;
    setStatus("sending", "Đang gửi kết quả / Sending the result…");
    return send(answers)
      .then(function () { return send(outcome); })
      .then(function () {
        var line = $("result");
        line.className = passed ? "passed" : "failed";
        line.textContent = passed
          ? "Đạt: " + correct + "/" + total + " câu đúng. / Passed: " + correct + " of " + total + " correct."
          : "Chưa đạt: " + correct + "/" + total + " câu đúng; hãy học lại và mở lại bài để làm lại. / " +
            "Not passed: " + correct + " of " + total + " correct; launch the module again to retry.";
        setStatus(passed ? "passed" : "failed", line.textContent);
      })
      .catch(fail);
  }

  function finish() {
    if (terminated) { return Promise.resolve(); }
    terminated = true;
    $("finish").disabled = true;
    return send([statement("terminated", { duration: duration(startedAt) })])
      .then(function () {
        setStatus("terminated", "Đã kết thúc / Finished");
        if (launchData && launchData.returnURL) { window.location.href = launchData.returnURL; }
      })
      .catch(fail);
  }

  function fail(error) {
    setStatus("error", "Lỗi / Error: " + error.message);
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("quiz").addEventListener("submit", submitQuiz);
    $("finish").addEventListener("click", finish);
    start().catch(fail);
  });
  window.addEventListener("pagehide", function () {
    // A learner who closes the tab still ends the session properly (9.3.8).
    if (!terminated && auth && launchData) {
      terminated = true;
      send([statement("terminated", { duration: duration(startedAt) })], true);
    }
  });
})();
