// tfjs-core's Node bundle ships without the per-kernel gradient functions (the full @tensorflow/tfjs
// package registers them). tfjs-layers' bundle registers all of them into the same global
// registry on import, so training imports it for that side effect only.
import "@tensorflow/tfjs-layers";
