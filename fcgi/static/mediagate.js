/* mediagate.js: placeholder */
