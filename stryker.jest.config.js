// The jest config Stryker runs (stryker.config.mjs): the unit project of jest.config.js alone.
// Stryker reads it inside each sandbox, so rootDir is the sandbox with its mutated sources.
import jestConfig from './jest.config.js'

const unit = jestConfig.projects.find(p => p.displayName === 'unit')

/** @type {import('jest').Config} */
export default { ...unit, displayName: undefined }
