// Times as the wall clock where they happened, never the browser's own zone: the server names the
// zones. <body data-tz> is the page's zone; <body data-zones> (JSON, gate id -> zone) gives a gate its
// campus's zone; a zone given with the time (a fever alert's campus's) comes first. A time of a gate
// the page does not know reads in the page's zone.
"use strict";
const Clock = (() => {
  let zones = null;
  function zoneOf(gateId) {
    const data = document.body.dataset;
    if (zones === null) zones = data.zones ? JSON.parse(data.zones) : {};
    return (gateId && zones[gateId]) || data.tz;
  }
  function time(iso, gateId, options, zone) {
    return new Date(iso).toLocaleTimeString("zh-CN", {...options, timeZone: zone || zoneOf(gateId)});
  }
  return {time, zoneOf};
})();
