module.exports = {
  skipFiles: ["interfaces/", "mocks/"],
  configureYulOptimizer: false,
};
