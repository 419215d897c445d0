// Times in the viewer's own zone: the server writes each <time data-local> in UTC (and the
// patient's zone beside it); this shows the viewer's local time instead, with the zone named.
(function () {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const format = new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
  for (const element of document.querySelectorAll("time[data-local]")) {
    const instant = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(instant.getTime())) continue;
    element.title = element.textContent;
    element.textContent = `${format.format(instant)} (${zone})`;
  }
})();
