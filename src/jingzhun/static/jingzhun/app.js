/* 精准: the little JavaScript the pages need beyond htmx. Everything works without it. */
(function () {
  "use strict";
  // When an htmx request fails (session expired, network down), say so instead of silently doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 401 || status === 403) {
      window.location.reload();
      return;
    }
    showError(document.documentElement.lang === "en"
      ? "The request failed (" + status + "). Please reload the page."
      : "请求失败（" + status + "），请刷新页面后重试。");
  });
  document.addEventListener("htmx:sendError", function () {
    showError(document.documentElement.lang === "en"
      ? "Network error: the server could not be reached."
      : "网络错误：无法连接服务器。");
  });
  function showError(text) {
    var box = document.getElementById("htmx-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "htmx-error";
      box.className = "alert alert-error";
      box.setAttribute("role", "alert");
      var main = document.getElementById("main");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
  }
})();
