// The field app's service worker: the app shell precached (workbox-precaching), every
// navigation inside /thiet-bi/ answered with the shell, the API never cached.
import { createHandlerBoundToURL, precacheAndRoute, cleanupOutdatedCaches } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";

/* global __PRECACHE__, __VERSION__ */
self.__LUUDONG_VERSION__ = __VERSION__;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

cleanupOutdatedCaches();
precacheAndRoute(__PRECACHE__);
registerRoute(new NavigationRoute(createHandlerBoundToURL("index.html")));
